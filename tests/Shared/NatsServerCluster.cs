using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Lifeline.Testing.Tasks;

namespace Lifeline.Tests.Shared;

/// <summary>
/// A JetStream cluster of real <c>nats-server</c> processes on 127.0.0.1 for tests: each server has its own free
/// client and route ports (never 4222, where a packaged server may run) and its own store folder in one temp folder.
/// <see cref="StartAsync"/> returns once every server knows the JetStream meta leader (streams can be created).
/// A server can be killed with SIGKILL and started again on the same ports and store. Dispose kills what still runs,
/// by pid, waits for each process and deletes the temp folder. Not thread-safe: one test drives it.
/// </summary>
internal sealed class NatsServerCluster : IAsyncDisposable
{
    /// <summary>Overrides where nats-server is found (else PATH).</summary>
    public const string ServerVariable = "LIFELINE_NATS_SERVER";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly string _executable;
    private readonly string _root;
    private readonly Server[] _servers;

    private NatsServerCluster(string executable, string root, Server[] servers)
    {
        _executable = executable;
        _root = root;
        _servers = servers;
    }

    /// <summary>How many servers the cluster has.</summary>
    public int Count => _servers.Length;

    /// <summary>Each server's client URL (<c>nats://127.0.0.1:port</c>), by index; stable across restarts.</summary>
    public IReadOnlyList<string> Urls => [.. _servers.Select(s => s.Url)];

    /// <summary>The server's <c>server_name</c> (<c>n0</c>, <c>n1</c>, ...), as JetStream names stream and meta leaders.</summary>
    public string Name(int index) => _servers[index].Name;

    /// <summary>The index of the server called <paramref name="name"/> (a leader name JetStream reported).</summary>
    public int IndexOf(string name) => Array.FindIndex(_servers, s => s.Name == name);

    /// <summary>The process id of server <paramref name="index"/>, or 0 when it does not run (for the benchmarks' CPU figures).</summary>
    public int Pid(int index) => _servers[index].Process is { HasExited: false } process ? process.Id : 0;

    /// <summary>Whether server <paramref name="index"/> runs (started and not killed).</summary>
    public bool IsRunning(int index) => _servers[index].Process is { HasExited: false };

    /// <summary>
    /// Starts <paramref name="servers"/> nats-server processes with JetStream, routed to each other, and waits until
    /// every one knows the meta leader. Fails the test with one line when nats-server is not installed.
    /// </summary>
    public static async Task<NatsServerCluster> StartAsync(int servers = 3)
    {
        var executable = RequiredTool.Find(ServerVariable, "apt-get install nats-server", "nats-server");
        var root = Directory.CreateTempSubdirectory("lifeline-nats-").FullName;
        var ports = FreePorts(servers * 3);
        var routes = string.Join(", ", Enumerable.Range(0, servers).Select(i => $"nats-route://127.0.0.1:{ports[(i * 3) + 1]}"));
        var all = new Server[servers];
        for (var i = 0; i < servers; i++)
        {
            var name = $"n{i}";
            var store = Path.Combine(root, name);
            var config = Path.Combine(root, name + ".conf");

            // A memory cap keeps several test clusters on one machine modest; the file store is what the hub uses.
            File.WriteAllText(config, $$"""
                server_name: {{name}}
                listen: 127.0.0.1:{{ports[i * 3]}}
                http: 127.0.0.1:{{ports[(i * 3) + 2]}}
                jetstream { store_dir: "{{store}}", max_memory_store: 64MB }
                cluster { name: lifeline-test, listen: 127.0.0.1:{{ports[(i * 3) + 1]}}, routes: [{{routes}}] }
                """);
            all[i] = new Server(name, config, $"nats://127.0.0.1:{ports[i * 3]}", new Uri($"http://127.0.0.1:{ports[(i * 3) + 2]}/jsz"));
        }

        var cluster = new NatsServerCluster(executable, root, all);
        try
        {
            for (var i = 0; i < servers; i++)
            {
                cluster.Launch(i);
            }

            foreach (var server in all)
            {
                await server.WaitForMetaLeaderAsync().ConfigureAwait(false);
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>SIGKILL of server <paramref name="index"/> (a crash: nothing flushed, no leadership handed over); waits for it to exit.</summary>
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

        await process.WaitForExitAsync().OrTimeout(Timeout).ConfigureAwait(false);
        await server.Reader.OrTimeout(Timeout).ConfigureAwait(false);
        process.Dispose();
        server.Process = null;
    }

    /// <summary>
    /// Starts the given servers again on their ports and stores, all at once (a lone server of three cannot find a meta
    /// leader: a majority must run); returns once each knows the meta leader.
    /// </summary>
    public async Task StartServerAsync(params int[] indexes)
    {
        foreach (var index in indexes)
        {
            if (IsRunning(index))
            {
                throw new InvalidOperationException($"{_servers[index].Name} is running");
            }

            Launch(index);
        }

        foreach (var index in indexes)
        {
            await _servers[index].WaitForMetaLeaderAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The last lines server <paramref name="index"/> logged, for a failure message.</summary>
    public string RecentLog(int index) => _servers[index].RecentLog();

    public async ValueTask DisposeAsync()
    {
        for (var i = 0; i < _servers.Length; i++)
        {
            await KillServerAsync(i).ConfigureAwait(false);
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless; failing a test for it is not.
        }
    }

    private void Launch(int index)
    {
        var server = _servers[index];
        var info = new ProcessStartInfo(_executable) { RedirectStandardError = true, RedirectStandardOutput = false, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(server.Config);
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start " + _executable);
        server.Started(process);
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

    /// <summary>One server's fixed identity and its current process, whose log a reader loop follows to its end.</summary>
    private sealed class Server(string name, string config, string url, Uri jsz)
    {
        private const int KeptLines = 60;

        /// <summary>Between two looks at <c>/jsz</c>: a server's readiness is a few hundred milliseconds away.</summary>
        private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

        private readonly Queue<string> _recent = new();
        private TaskCompletionSource _metaLeader = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name { get; } = name;

        public string Config { get; } = config;

        public string Url { get; } = url;

        public Process? Process { get; set; }

        /// <summary>Reads the current process's log until it exits; <see cref="KillServerAsync"/> awaits it.</summary>
        public Task Reader { get; private set; } = Task.CompletedTask;

        public void Started(Process process)
        {
            Process = process;
            _metaLeader = new(TaskCreationOptions.RunContinuationsAsynchronously);
            Reader = ReadLogAsync(process.StandardError, _metaLeader);
        }

        /// <summary>
        /// Waits until the server logs a meta leader, or its monitoring endpoint (<c>/jsz</c>) names one: a server that
        /// rejoins does not always log it, so the endpoint is asked too, between waits on the log.
        /// </summary>
        public async Task WaitForMetaLeaderAsync()
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var deadline = TimeProvider.System.GetTimestamp() + (long)(Timeout.TotalSeconds * TimeProvider.System.TimestampFrequency);
            while (!_metaLeader.Task.IsCompleted)
            {
                if (TimeProvider.System.GetTimestamp() > deadline)
                {
                    throw new TimeoutException($"nats-server {Name} found no JetStream meta leader within {Timeout.TotalSeconds:0} s; its log:\n{RecentLog()}");
                }

                if (await HasMetaLeaderAsync(http).ConfigureAwait(false))
                {
                    return;
                }

                await Task.WhenAny(_metaLeader.Task, Task.Delay(PollInterval, TimeProvider.System)).ConfigureAwait(false);
            }

            await _metaLeader.Task.ConfigureAwait(false);
        }

        private async Task<bool> HasMetaLeaderAsync(HttpClient http)
        {
            try
            {
                using var doc = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync(jsz).ConfigureAwait(false));
                return doc.RootElement.TryGetProperty("meta_cluster", out var meta)
                    && meta.TryGetProperty("leader", out var leader)
                    && leader.GetString() is { Length: > 0 };
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
            {
                // Not listening yet, or restarting.
                return false;
            }
        }

        public string RecentLog()
        {
            lock (_recent)
            {
                return string.Join('\n', _recent);
            }
        }

        private async Task ReadLogAsync(StreamReader log, TaskCompletionSource metaLeader)
        {
            // "Self is new JetStream cluster metadata leader" on the leader, "JetStream cluster new metadata leader: n2/..."
            // on the others (also on a server that rejoins): from then on the server can serve JetStream API calls.
            while (await log.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                lock (_recent)
                {
                    _recent.Enqueue(line);
                    if (_recent.Count > KeptLines)
                    {
                        _recent.Dequeue();
                    }
                }

                if (line.Contains("metadata leader", StringComparison.Ordinal))
                {
                    metaLeader.TrySetResult();
                }
            }

            metaLeader.TrySetException(new InvalidOperationException(
                string.Create(CultureInfo.InvariantCulture, $"nats-server {Name} exited before it found a JetStream meta leader; its log:\n{RecentLog()}")));
        }
    }
}
