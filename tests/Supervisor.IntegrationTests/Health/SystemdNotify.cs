using System.Net.Sockets;
using System.Text;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.Health;

/// <summary>
/// Under systemd with <c>Type=notify</c>, the service and the worker report <c>READY=1</c> once started and
/// <c>STOPPING=1</c> on SIGTERM, to the datagram socket systemd names in <c>NOTIFY_SOCKET</c> (here one the test listens on).
/// </summary>
public sealed class SystemdNotify
{
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_worker_reports_ready_once_consuming_and_stopping_on_SIGTERM()
    {
        await using var systemd = new NotifySocket();
        await using var stack = await SupervisorStack.StartAsync("notify-worker", new Dictionary<string, string>(), services: 0);

        var worker = await stack.AddWorkerAsync("shell", new Dictionary<string, string> { ["NOTIFY_SOCKET"] = systemd.Path });
        await systemd.WaitForAsync("READY=1", worker);
        await worker.StopAsync(TimeSpan.FromSeconds(30));

        await systemd.WaitForAsync("STOPPING=1", worker);
        Assert.Equal(0, await worker.WaitForExitAsync());
    }

    [Fact]
    public async Task The_service_reports_ready_once_started_and_stopping_on_SIGTERM()
    {
        await using var systemd = new NotifySocket();
        await using var stack = await SupervisorStack.StartAsync("notify-service", new Dictionary<string, string>(), services: 0);

        var service = stack.LaunchService($"http://127.0.0.1:{SupervisorStack.FreePort()}",
            new Dictionary<string, string> { ["NOTIFY_SOCKET"] = systemd.Path });
        await systemd.WaitForAsync("READY=1", service);
        await service.StopAsync(TimeSpan.FromSeconds(30));

        await systemd.WaitForAsync("STOPPING=1", service);
        Assert.Equal(0, await service.WaitForExitAsync());
    }

    /// <summary>What systemd listens on for a <c>Type=notify</c> unit: a Unix datagram socket, one state per datagram.</summary>
    sealed class NotifySocket : IAsyncDisposable
    {
        readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        readonly List<string> _received = [];
        readonly CancellationTokenSource _stop = new();
        readonly Task _receiving;

        public NotifySocket()
        {
            // Short and under /tmp: a socket path may have at most 107 bytes.
            Path = System.IO.Path.Combine("/tmp", $"sd-notify-{Guid.NewGuid():N}"[..22] + ".sock");
            _socket.Bind(new UnixDomainSocketEndPoint(Path));
            _receiving = ReceiveAsync();
        }

        public string Path { get; }

        public async Task WaitForAsync(string state, HostProcess process)
        {
            var deadline = DateTime.UtcNow + Patience;
            while (DateTime.UtcNow < deadline)
            {
                lock (_received)
                {
                    if (_received.Any(d => d.Split('\n').Contains(state, StringComparer.Ordinal)))
                        return;
                }

                await Task.Delay(100);
            }

            throw new TimeoutException($"no {state} from {process.Name} within {Patience.TotalSeconds}s (received: " +
                $"{string.Join(" | ", Snapshot())}):\n{process.RecentOutput}");
        }

        string[] Snapshot()
        {
            lock (_received)
                return [.. _received];
        }

        async Task ReceiveAsync()
        {
            var buffer = new byte[4096];
            try
            {
                while (true)
                {
                    var length = await _socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                    lock (_received)
                        _received.Add(Encoding.UTF8.GetString(buffer, 0, length));
                }
            }
            catch (OperationCanceledException)
            {
                // the test is over
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _receiving;
            _socket.Dispose();
            _stop.Dispose();
            File.Delete(Path);
        }
    }
}
