using Supervisor.Settings;

namespace Supervisor.Hosting;

/// <summary><c>ConnectionStrings:RabbitMq</c>: the broker every host connects to.</summary>
public sealed class TransportOptions : IValidatedOptions
{
    /// <summary>Connection strings are a section of their own in .NET configuration; this class reads the broker's.</summary>
    public const string Section = "ConnectionStrings";

    public const string DefaultRabbitMq = "amqp://guest:guest@127.0.0.1:5672/";

    /// <summary>An amqp:// URI (amqps:// with TLS), user, password and virtual host included.</summary>
    public string RabbitMq { get; set; } = DefaultRabbitMq;

    /// <summary><see cref="RabbitMq"/> as a URI; valid once the options have been validated.</summary>
    public Uri RabbitMqUri => new(RabbitMq);

    public IReadOnlyList<string> Validate() =>
        Uri.TryCreate(RabbitMq, UriKind.Absolute, out var uri) && uri.Scheme is "amqp" or "amqps" or "rabbitmq"
            ? []
            : [$"{Section}:RabbitMq: expected an amqp:// URI such as amqp://user:password@host:5672/vhost."];
}
