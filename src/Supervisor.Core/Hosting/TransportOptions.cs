using Microsoft.Extensions.Configuration;

namespace Supervisor.Hosting;

public static class TransportOptions
{
    public const string DefaultRabbitMq = "amqp://guest:guest@127.0.0.1:5672/";

    /// <summary><c>ConnectionStrings:RabbitMq</c> as an amqp URI, with a clear error naming the key when it is not one.</summary>
    public static Uri RabbitMqUri(IConfiguration configuration)
    {
        var value = configuration.GetConnectionString("RabbitMq") ?? DefaultRabbitMq;
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != "amqp" && uri.Scheme != "amqps" && uri.Scheme != "rabbitmq"))
            throw new InvalidOperationException("ConnectionStrings:RabbitMq: expected an amqp:// URI such as amqp://user:password@host:5672/vhost.");
        return uri;
    }
}
