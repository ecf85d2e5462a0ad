using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Lifeline.LocalNats;

/// <summary>
/// A JetStream cluster of real <c>nats-server</c> processes on 127.0.0.1: the one starter behind <c>lifeline
/// cluster-demo</c> (src/Lifeline.Cli) and the tests' and benchmarks' fixture (tests/Shared/NatsServerCluster.cs). This
/// file is compiled into each of them, not shipped as an assembly: it is a development tool, with no public API.
/// Each server has its own free client, route and monitoring ports (never 4222, where a packaged server may run) and its
/// own store in one temp folder. <see cref="StartAsync"/> returns once every server knows the JetStream meta leader
/// (streams can be created). A server can be killed with SIGKILL and started again on the same ports and store.
/// <see cref="DisposeAsync"/> kills what still runs, by pid, waits for each process and its log reader, and deletes the
/// folder: nothing is left running. If this process dies without disposing it (SIGKILL), the kernel kills the servers
/// (<see cref="ParentBoundProcess"/>, Linux); their folder stays in the temp folder. Not thread-safe: one caller drives it.
/// </summary>
internal sealed partial class LocalNatsCluster : IAsyncDisposable
{
    /// <summary>Overrides where nats-server is found (else PATH).</summary>
    public const string ServerVariable = "LIFELINE_NATS_SERVER";

    /// <summary>How to install nats-server, for a message saying it is missing.</summary>
    public const string Install = "Debian: apt-get install nats-server; or https://nats.io";

    /// <summary>How long a server may take to join the cluster (elect or learn the JetStream meta leader), or to exit when killed.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Ports per server: client, route, monitoring (<c>/jsz</c>, asked whether the server knows the meta leader).</summary>
    private const int PortsPerServer = 3;

    private readonly string _executable;
    private readonly Server[] _servers;

    private LocalNatsCluster(string executable, string root, Server[] servers)
    {
        _executable = executable;
        Root = root;
        _servers = servers;
    }

    /// <summary>The folder of the servers' configuration files and stores.</summary>
    public string Root { get; }

    /// <summary>How many servers the cluster has.</summary>
    public int Count => _servers.Length;

    /// <summary>Each server's client URL (<c>nats://127.0.0.1:port</c>), by index; stable across restarts.</summary>
    public IReadOnlyList<string> Urls => [.. _servers.Select(s => s.Url)];

    /// <summary>The process ids of the servers that run now.</summary>
    public IReadOnlyList<int> Pids => [.. _servers.Where(s => s.Process is not null).Select(s => s.Process!.Id)];

    /// <summary>The server's <c>server_name</c> (<c>nats1</c>, <c>nats2</c>, ...), as JetStream names stream and meta leaders.</summary>
    public string Name(int index) => _servers[index].Name;

    /// <summary>The index of the server called <paramref name="name"/> (a leader name JetStream reported), or -1.</summary>
    public int IndexOf(string? name) => Array.FindIndex(_servers, s => s.Name == name);

    /// <summary>The process id of server <paramref name="index"/>, or 0 when it does not run (for the benchmarks' CPU figures).</summary>
    public int Pid(int index) => _servers[index].Process is { HasExited: false } process ? process.Id : 0;

    /// <summary>Whether server <paramref name="index"/> runs (started and not killed).</summary>
    public bool IsRunning(int index) => _servers[index].Process is { HasExited: false };

    /// <summary>The last lines server <paramref name="index"/> logged, for a failure message.</summary>
    public string RecentLog(int index) => _servers[index].RecentLog();

    /// <summary>
    /// Starts <paramref name="servers"/> nats-server processes (<paramref name="executable"/>) with JetStream, routed to
    /// each other, and returns once every one knows the meta leader. Throws <see cref="LocalNatsException"/> (one line,
    /// with the server's last log line) when a server exits first or finds no leader within <see cref="Timeout"/>;
    /// whatever was started is stopped first.
    /// </summary>
    public static async Task<LocalNatsCluster> StartAsync(string executable, int servers, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(servers, 1);
        var root = Directory.CreateTempSubdirectory("lifeline-nats-").FullName;
        var ports = FreePorts(servers * PortsPerServer);
        var routes = string.Join(", ", Enumerable.Range(0, servers).Select(i => string.Create(CultureInfo.InvariantCulture, $"nats-route://127.0.0.1:{ports[(i * PortsPerServer) + 1]}")));
        var all = new Server[servers];
        for (var i = 0; i < servers; i++)
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"nats{i + 1}");
            var (client, route, http) = (ports[i * PortsPerServer], ports[(i * PortsPerServer) + 1], ports[(i * PortsPerServer) + 2]);
            var config = Path.Combine(root, name + ".conf");

            // A memory cap keeps several clusters on one machine modest; the file store is what the hub uses.
            await File.WriteAllTextAsync(config, string.Create(CultureInfo.InvariantCulture, $$"""
                server_name: {{name}}
                listen: 127.0.0.1:{{client}}
                http: 127.0.0.1:{{http}}
                jetstream { store_dir: "{{Path.Combine(root, name)}}", max_memory_store: 64MB }
                cluster { name: lifeline-local, listen: 127.0.0.1:{{route}}, routes: [{{routes}}] }
                """), cancellationToken).ConfigureAwait(false);
            all[i] = new Server(
                name,
                config,
                string.Create(CultureInfo.InvariantCulture, $"nats://127.0.0.1:{client}"),
                new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{http}/jsz")));
        }

        var cluster = new LocalNatsCluster(executable, root, all);
        try
        {
            await cluster.StartServerAsync([.. Enumerable.Range(0, servers)], cancellationToken).ConfigureAwait(false);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Starts the given servers (again) on their ports and stores, all at once (a lone server of three cannot find a meta
    /// leader: a majority must run); returns once each knows the meta leader.
    /// </summary>
    public async Task StartServerAsync(int[] indexes, CancellationToken cancellationToken)
    {
        foreach (var index in indexes)
        {
            if (IsRunning(index))
            {
                throw new InvalidOperationException($"{_servers[index].Name} is running");
            }

            _servers[index].Started(Launch(_servers[index].Config));
        }

        // All at once: each waits for the same election.
        await Task.WhenAll(indexes.Select(i => _servers[i].WaitForMetaLeaderAsync(cancellationToken))).ConfigureAwait(false);
    }

    /// <inheritdoc cref="StartServerAsync(int[], CancellationToken)"/>
    public Task StartServerAsync(params int[] indexes) => StartServerAsync(indexes, CancellationToken.None);

    /// <summary>SIGKILL of server <paramref name="index"/> (a crash: nothing flushed, no leadership handed over); waits for it and its log reader.</summary>
    public async Task KillServerAsync(int index)
    {
        var server = _servers[index];
        if (server.Process is not { } process)
        {
            return;
        }

        if (!process.HasExited)
        {
            process.Kill();
        }

        await process.WaitForExitAsync().WaitAsync(Timeout).ConfigureAwait(false);
        await server.Reader.WaitAsync(Timeout).ConfigureAwait(false);
        process.Dispose();
        server.Process = null;
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = 0; i < _servers.Length; i++)
        {
            await KillServerAsync(i).ConfigureAwait(false);
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless; failing a stop for it is not.
        }
    }

    /// <summary>
    /// Starts one server process, bound to this one (<see cref="ParentBoundProcess"/>: a server never outlives the demo
    /// or the test host, even one killed with SIGKILL); its standard error (the server's log) is redirected for its reader.
    /// </summary>
    private Process Launch(string config)
    {
        var info = new ProcessStartInfo(_executable) { RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(config);
        return ParentBoundProcess.Start(info);
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
