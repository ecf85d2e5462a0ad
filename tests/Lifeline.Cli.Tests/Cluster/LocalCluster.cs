using System.Net;
using System.Text.Json;
using Lifeline.LocalNats;
using Lifeline.Testing.Tasks;
using Lifeline.Tests.Shared;

namespace Lifeline.Cli.Tests.Cluster;

/// <summary>
/// Issue 13's test cluster: three real nats-server processes (<see cref="LocalNatsCluster"/>) and three hub nodes, each
/// a child <c>lifeline serve --cluster ...</c> (<see cref="HubNode"/>), with one keys file (reader, writer, admin). Dispose
/// kills the nodes, then the servers, each by pid, and waits for every exit. Not thread-safe: one test drives it.
/// </summary>
internal sealed class LocalCluster : IAsyncDisposable
{
    public const string ReadKey = "read-key";
    public const string WriteKey = "write-key";
    public const string AdminKey = "admin-key";

    /// <summary>A read key (id <c>spare</c>) for tests that revoke a key nobody else uses.</summary>
    public const string SpareKey = "spare-key";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private readonly string _keysFile;

    private LocalCluster(LocalNatsCluster engine, string keysFile)
    {
        Engine = engine;
        _keysFile = keysFile;
    }

    public LocalNatsCluster Engine { get; }

    public List<HubNode> Nodes { get; } = [];

    /// <summary>Starts the engine and <paramref name="nodes"/> nodes (<c>hub1</c>, ...), and waits until each answers <c>/healthz</c> 200.</summary>
    public static async Task<LocalCluster> StartAsync(int nodes = 3, params string[] extra)
    {
        var keysFile = Path.Combine(Path.GetTempPath(), $"lifeline-cluster-keys-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(keysFile, $$"""
            {"keys":[
              {"id":"reader","key":"{{ReadKey}}","scopes":["read"]},
              {"id":"writer","key":"{{WriteKey}}","scopes":["write"]},
              {"id":"admin","key":"{{AdminKey}}","scopes":["admin"]},
              {"id":"spare","key":"{{SpareKey}}","scopes":["read"]}
            ]}
            """);
        LocalNatsCluster? engine = null;
        try
        {
            engine = await NatsServerCluster.StartAsync();
        }
        catch
        {
            File.Delete(keysFile);
            throw;
        }

        var cluster = new LocalCluster(engine, keysFile);
        try
        {
            // One at a time: the first creates the stream and the bucket, the others find them.
            for (var i = 1; i <= nodes; i++)
            {
                cluster.Nodes.Add(await HubNode.StartAsync($"hub{i}", engine.Urls, keysFile, AdminKey, extra));
            }

            foreach (var node in cluster.Nodes)
            {
                await WaitHealthyAsync(node);
            }
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    /// <summary>Waits until <paramref name="node"/> answers <c>/healthz</c> 200 (its mirror caught up); fails with its last answer and log.</summary>
    public static async Task WaitHealthyAsync(HubNode node)
    {
        var last = "(no answer)";
        using var timeout = new CancellationTokenSource(Timeout);
        while (!timeout.IsCancellationRequested)
        {
            try
            {
                using var response = await node.Http.GetAsync(node.Url("healthz"), timeout.Token);
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(timeout.Token)}";
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
                last = e.Message;
            }

            // Polling a child process's HTTP endpoint: there is no event to wait on across processes.
            await Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System, CancellationToken.None);
        }

        throw new TimeoutException($"{node.Name} did not answer /healthz 200 within {Timeout.TotalSeconds:0} s (last: {last}); its log:\n{node.RecentLog()}");
    }

    /// <summary>
    /// <c>GET /v1/stats</c> of <paramref name="node"/> once its engine state names a stream leader: right after the
    /// stream is created, or during an election, the node's last look at the stream found none (and says so).
    /// </summary>
    public static async Task<JsonElement> StatsWithLeaderAsync(HubNode node)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        while (true)
        {
            var stats = await StatsAsync(node);
            if (stats.GetProperty("cluster").GetProperty("streamLeader").ValueKind == JsonValueKind.String || timeout.IsCancellationRequested)
            {
                return stats;
            }

            // Polling a child process's HTTP endpoint: there is no event to wait on across processes.
            await Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System, CancellationToken.None);
        }
    }

    /// <summary><c>GET /v1/stats</c> of <paramref name="node"/>.</summary>
    public static async Task<JsonElement> StatsAsync(HubNode node)
    {
        var json = await node.Http.GetStringAsync(node.Url("v1/stats")).OrTimeout(Timeout);
        return JsonDocument.Parse(json).RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.DisposeAsync();
        }

        await Engine.DisposeAsync();
        File.Delete(_keysFile);
    }
}
