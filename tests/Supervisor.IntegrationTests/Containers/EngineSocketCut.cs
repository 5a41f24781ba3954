using System.Net.Sockets;

namespace Supervisor.IntegrationTests.Containers;

/// <summary>
/// A socket of its own in front of the Docker engine's, for one worker: cut, the engine is gone for that worker
/// (connections dropped, new ones refused) while it keeps running for everything else, the PostgreSQL and RabbitMQ
/// containers the stack runs on among them. Frozen, the engine hangs for that worker instead: connections stay open and
/// new ones are accepted, but nothing goes through any more, either way.
/// </summary>
sealed class EngineSocketCut : IAsyncDisposable
{
    readonly string _engine;
    readonly List<Socket> _open = [];
    Socket? _listener;
    Task _accepting = Task.CompletedTask;
    volatile bool _frozen;

    EngineSocketCut(string engine, string path)
    {
        _engine = engine;
        Path = path;
    }

    /// <summary>The socket to give the worker, as <c>DOCKER_HOST=unix://…</c>.</summary>
    public string Path { get; }

    public string DockerHost => "unix://" + Path;

    public static EngineSocketCut Open()
    {
        var host = Environment.GetEnvironmentVariable("DOCKER_HOST") is { } h && h.StartsWith("unix://", StringComparison.Ordinal) ? h["unix://".Length..] : "/var/run/docker.sock";
        var cut = new EngineSocketCut(host, System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"supervisor-engine-{Guid.NewGuid():N}.sock"));
        cut.Restore();
        return cut;
    }

    /// <summary>Drops every connection to the engine and refuses new ones.</summary>
    public async Task CutAsync()
    {
        _listener?.Dispose();
        _listener = null;
        await _accepting;
        File.Delete(Path);
        lock (_open)
        {
            foreach (var socket in _open)
                socket.Dispose();
            _open.Clear();
        }
    }

    /// <summary>From now on nothing goes through: every request, sent or still to come, waits for an answer for ever.</summary>
    public void Freeze() => _frozen = true;

    /// <summary>Lets connections through to the engine again.</summary>
    public void Restore()
    {
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(Path));
        listener.Listen(64);
        _listener = listener;
        _accepting = Task.Run(() => AcceptAsync(listener));
    }

    async Task AcceptAsync(Socket listener)
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            var engine = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await engine.ConnectAsync(new UnixDomainSocketEndPoint(_engine));
            }
            catch (SocketException)
            {
                client.Dispose();
                engine.Dispose();
                continue;
            }

            lock (_open)
                _open.AddRange([client, engine]);
            _ = PumpAsync(client, engine);
            _ = PumpAsync(engine, client);
        }
    }

    async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await from.ReceiveAsync(buffer, SocketFlags.None)) > 0)
            {
                if (!_frozen)
                    await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
            }

            if (!_frozen)
                to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // the other side went away, or the cut closed both
        }
    }

    public async ValueTask DisposeAsync() => await CutAsync();
}
