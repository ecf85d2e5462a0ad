using System.Net.WebSockets;
using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Protocol;
using Lifeline.Testing.Tasks;

namespace Lifeline.Hub.Tests.Storage;

/// <summary>kill -9 of a real hub process on the SQLite store: every acknowledged entry is there on restart.</summary>
public sealed class KillTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("lifeline-kill-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task KillDash9_WhilePublishing_EveryAckedEntryIsStoredAfterRestart()
    {
        var db = Path.Combine(_dir.FullName, "hub.db");
        var acked = new List<AckMessage>();
        await using (var hub = await ChildHub.StartAsync(db))
        {
            using var socket = new ClientWebSocket();
            await socket.ConnectAsync(hub.WsUri("v1/ingest"), CancellationToken.None).OrTimeout(TimeSpan.FromSeconds(30));
            var publisher = new TestPublisher(socket);

            // Publish in a pipeline (no waiting for acks) so batches are in flight when the process dies.
            var sending = SendUntilBrokenAsync(publisher);
            while (true)
            {
                IngestMessage? message;
                try
                {
                    message = await publisher.ReceiveAsync();
                }
                catch (WebSocketException)
                {
                    break;
                }

                if (message is null)
                {
                    break;
                }

                acked.Add(Assert.IsType<AckMessage>(message));
                if (acked.Count == 300)
                {
                    await hub.KillAsync();   // SIGKILL: no shutdown code runs.
                }
            }

            await sending.OrTimeout(TimeSpan.FromSeconds(30));
            Assert.Equal(137, hub.Process.ExitCode);
        }

        Assert.True(acked.Count >= 300);
        await using var restarted = await HubHost.StartAsync(o =>
        {
            o.Store = HubStoreKind.Sqlite;
            o.SqlitePath = db;
        });

        var stored = new Dictionary<long, string>();
        var next = "v1/logs?limit=1000";
        while (next is not null)
        {
            var page = HttpBodyJson.ParseQueryPage(await restarted.Http.GetByteArrayAsync(next.TrimStart('/')));
            foreach (var e in page.Entries)
            {
                stored[e.Id] = e.Message;
            }

            next = page.Next;
        }

        foreach (var ack in acked)
        {
            Assert.Equal(10, ack.Count);
            for (var i = 0; i < 10; i++)
            {
                Assert.True(stored.TryGetValue(ack.FirstId + i, out var message), $"acked id {ack.FirstId + i} (ref {ack.Ref}) is missing");
                Assert.Equal($"{ack.Ref}.{i}", message);
            }
        }
    }

    private static async Task SendUntilBrokenAsync(TestPublisher publisher)
    {
        try
        {
            for (var n = 0; ; n++)
            {
                await publisher.PublishAsync($"{n}", [.. Enumerable.Range(0, 10).Select(i => new LogEntry { Message = $"{n}.{i}" })]);
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException or TimeoutException)
        {
            // The hub died.
        }
    }
}
