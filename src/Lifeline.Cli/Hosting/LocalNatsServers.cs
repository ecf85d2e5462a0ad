using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Lifeline.Cli.Hosting;

/// <summary>
/// A local NATS JetStream cluster for <c>lifeline cluster-demo</c>: <c>nats-server</c> processes on 127.0.0.1, each with
/// free client and route ports (never 4222, where a packaged server may run) and its own store in one temp folder.
/// Each server's log is read to its end by a tracked task (a full pipe would stall it). <see cref="DisposeAsync"/>
/// kills every server by pid, awaits its exit and its log reader, and deletes the folder: nothing is left running.
/// Not thread-safe: one command drives it.
/// </summary>
internal sealed class LocalNatsServers : IAsyncDisposable
{
    /// <summary>Overrides where nats-server is found (else PATH), as for the tests.</summary>
    public const string ServerVariable = "LIFELINE_NATS_SERVER";

    /// <summary>How long a server may take to join the cluster (elect or learn the JetStream meta leader).</summary>
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    private readonly List<(Process Process, Task Reader)> _running = [];

    private LocalNatsServers(string root, IReadOnlyList<string> urls)
    {
        Root = root;
        Urls = urls;
    }

    /// <summary>The servers' client URLs, <c>nats://127.0.0.1:port</c>.</summary>
    public IReadOnlyList<string> Urls { get; }

    /// <summary>The folder of their configuration and stores.</summary>
    public string Root { get; }

    /// <summary>The servers' process ids.</summary>
    public IReadOnlyList<int> Pids => [.. _running.Select(r => r.Process.Id)];

    /// <summary>Finds nats-server, or fails with one line saying how to install it.</summary>
    public static string FindExecutable(CliEnvironment environment)
    {
        if (environment.GetVariable(ServerVariable) is { Length: > 0 } chosen)
        {
            return File.Exists(chosen) ? chosen : throw new CliException($"{ServerVariable}={chosen} does not exist", ExitCodes.Usage);
        }

        var path = environment.GetVariable("PATH") ?? string.Empty;
        foreach (var directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, "nats-server");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new CliException($"nats-server not found on PATH: install it (Debian: apt-get install nats-server; or https://nats.io), or set {ServerVariable}", ExitCodes.Failure);
    }

    /// <summary>Starts <paramref name="count"/> servers routed to each other and returns once each knows the JetStream meta leader.</summary>
    public static async Task<LocalNatsServers> StartAsync(string executable, int count, CancellationToken cancellationToken)
    {
        var root = Directory.CreateTempSubdirectory("lifeline-cluster-").FullName;
        var ports = FreePorts(count * 2);
        var routes = string.Join(", ", Enumerable.Range(0, count).Select(i => string.Create(CultureInfo.InvariantCulture, $"nats-route://127.0.0.1:{ports[(i * 2) + 1]}")));
        var servers = new LocalNatsServers(root, [.. Enumerable.Range(0, count).Select(i => string.Create(CultureInfo.InvariantCulture, $"nats://127.0.0.1:{ports[i * 2]}"))]);
        try
        {
            var ready = new List<Task>();
            for (var i = 0; i < count; i++)
            {
                var config = Path.Combine(root, $"nats{i + 1}.conf");
                await File.WriteAllTextAsync(config, string.Create(CultureInfo.InvariantCulture, $$"""
                    server_name: nats{{i + 1}}
                    listen: 127.0.0.1:{{ports[i * 2]}}
                    jetstream { store_dir: "{{Path.Combine(root, $"nats{i + 1}")}}" }
                    cluster { name: lifeline-local, listen: 127.0.0.1:{{ports[(i * 2) + 1]}}, routes: [{{routes}}] }
                    """), cancellationToken).ConfigureAwait(false);
                ready.Add(servers.Launch(executable, config));
            }

            await Task.WhenAll(ready).WaitAsync(ReadyTimeout, cancellationToken).ConfigureAwait(false);
            return servers;
        }
        catch (Exception exception)
        {
            await servers.DisposeAsync().ConfigureAwait(false);
            if (exception is TimeoutException)
            {
                throw new CliException($"the local nats-servers did not form a JetStream cluster within {ReadyTimeout.TotalSeconds:0} s", ExitCodes.Failure, exception);
            }

            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (process, _) in _running.Where(r => !r.Process.HasExited))
        {
            process.Kill();
        }

        foreach (var (process, reader) in _running)
        {
            await process.WaitForExitAsync().ConfigureAwait(false);
            await reader.ConfigureAwait(false);
            process.Dispose();
        }

        _running.Clear();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Left in the temp folder: harmless, and no reason to fail a stop.
        }
    }

    /// <summary>Starts one server; the task completes once it logged that it knows the JetStream meta leader.</summary>
    private Task Launch(string executable, string config)
    {
        var info = new ProcessStartInfo(executable) { RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(config);
        var process = Process.Start(info) ?? throw new CliException($"could not start {executable}", ExitCodes.Failure);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _running.Add((process, ReadLogAsync(process.StandardError, ready)));
        return ready.Task;
    }

    private static async Task ReadLogAsync(StreamReader log, TaskCompletionSource ready)
    {
        // "Self is new JetStream cluster metadata leader" or "JetStream cluster new metadata leader: ...": from then
        // on the server answers JetStream API calls.
        while (await log.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            if (line.Contains("metadata leader", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        }

        ready.TrySetException(new CliException("a nats-server exited before it joined the cluster (see its configuration in the temp folder)", ExitCodes.Failure));
    }

    /// <summary>Free ports now, all distinct (each listener stays open until all are chosen).</summary>
    private static int[] FreePorts(int count)
    {
        var listeners = new List<TcpListener>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                listeners.Add(listener);
            }

            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Stop();
            }
        }
    }
}
