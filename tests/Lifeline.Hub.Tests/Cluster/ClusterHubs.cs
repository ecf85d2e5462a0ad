using System.Text;
using Lifeline.Hub.Log;
using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.LocalNats;
using Lifeline.Protocol;
using Lifeline.Testing.Tasks;
using Lifeline.Tests.Shared;

namespace Lifeline.Hub.Tests.Cluster;

/// <summary>
/// Real Kestrel hubs in this process (port 0), each a node of one cluster on a real 3-server JetStream cluster
/// (<see cref="LocalNatsCluster"/>). Dispose stops the hubs, then the servers.
/// </summary>
internal sealed class ClusterHubs : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private ClusterHubs(LocalNatsCluster engine, List<HubHost> hubs)
    {
        Engine = engine;
        Hubs = hubs;
    }

    public LocalNatsCluster Engine { get; }

    public List<HubHost> Hubs { get; }

    /// <summary>Starts the servers and <paramref name="hubs"/> hubs (<c>node0</c>, ...), and waits until every mirror caught up.</summary>
    public static async Task<ClusterHubs> StartAsync(int hubs, Action<HubOptions>? configure = null)
    {
        var engine = await NatsServerCluster.StartAsync();
        var started = new List<HubHost>();
        try
        {
            for (var i = 0; i < hubs; i++)
            {
                var name = $"node{i}";
                started.Add(await HubHost.StartAsync(o =>
                {
                    o.ClusterUrls = [.. engine.Urls];
                    o.ClusterNodeName = name;
                    configure?.Invoke(o);
                }));
            }

            var cluster = new ClusterHubs(engine, started);
            await cluster.CatchUpAsync();
            return cluster;
        }
        catch
        {
            foreach (var hub in started)
            {
                await hub.DisposeAsync();
            }

            await engine.DisposeAsync();
            throw;
        }
    }

    public static JetStreamEntryLog Log(HubHost hub) => (JetStreamEntryLog)hub.Core().Log;

    /// <summary>Waits until every hub's mirror applied the stream's last message (and followed its retention).</summary>
    public Task CatchUpAsync() => Task.WhenAll(Hubs.Select(h => Log(h).CatchUpAsync(CancellationToken.None))).OrTimeout(Timeout);

    /// <summary>POSTs <paramref name="messages"/> as one publish with an <c>Idempotency-Key</c>.</summary>
    public static Task<HttpResponseMessage> PostAsync(HubHost hub, string key, IEnumerable<string> messages, CancellationToken cancellationToken = default)
    {
        var body = HubHost.SerializeArray(messages.Select(m => new LogEntry { Message = m, Source = "test" }));
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/logs") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add("Idempotency-Key", key);
        return hub.Http.SendAsync(request, cancellationToken);
    }

    /// <summary>Every entry a hub's log holds, oldest first, through <c>GET /v1/logs</c> pages.</summary>
    public static async Task<List<LogEntry>> QueryAllAsync(HubHost hub)
    {
        var all = new List<LogEntry>();
        string? next = "v1/logs?limit=1000&after=0";
        while (next is not null)
        {
            var page = HttpBodyJson.ParseQueryPage(await hub.Http.GetByteArrayAsync(next.TrimStart('/')).OrTimeout(Timeout));
            all.AddRange(page.Entries);
            next = page.Next;
        }

        return all;
    }

    public static async Task<string> BodyAsync(HttpResponseMessage response) => Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync());

    public async ValueTask DisposeAsync()
    {
        foreach (var hub in Hubs)
        {
            await hub.DisposeAsync();
        }

        await Engine.DisposeAsync();
    }
}
