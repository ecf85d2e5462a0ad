using System.Text;
using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Protocol;
using Lifeline.Testing.Tasks;

namespace Lifeline.Hub.Tests.Ingest;

/// <summary>
/// Concurrent NDJSON POSTs into a memory store that evicts by count and bytes on nearly every append, while
/// subscribers fall behind (overflow, catch-up from an evicting store): every POST must still be acknowledged.
/// </summary>
public class IngestUnderEvictionTests
{
    private const int Publishers = 3;
    private const int PostsEach = 40;
    private const int Batch = 1_000;

    [Fact]
    public async Task ConcurrentPosts_WhileStoreEvictsAndSubscribersLag_AreAllAcknowledged_WithContiguousIds()
    {
        await using var hub = await HubHost.StartAsync(o =>
        {
            o.MemoryMaxEntries = 1_500;
            o.MemoryMaxBytes = 100_000;
            o.MaxFrameBytes = 16 << 10;
            o.SubscriberQueueBytes = 64 << 10;
        });
        await using var idle = await hub.SubscribeAsync("clientId=idle");
        await using var resumer = await hub.SubscribeAsync("after=0&clientId=resumer");
        await using var reader = await hub.SubscribeAsync("level=warning&clientId=reader");
        await idle.ReceiveUntilAsync<LiveMessage>();
        await reader.ReceiveUntilAsync<LiveMessage>();

        var line = Encoding.UTF8.GetBytes("{\"level\":\"information\",\"source\":\"bench\",\"message\":\"" + new string('x', 80) + "\"}\n");
        var body = Enumerable.Range(0, Batch).SelectMany(_ => line).ToArray();
        var results = await Task.WhenAll(Enumerable.Range(0, Publishers).Select(async _ =>
        {
            var answers = new List<PublishResult>();
            for (var i = 0; i < PostsEach; i++)
            {
                using var response = await hub.PostRawAsync(body, "application/x-ndjson");
                var bytes = await response.Content.ReadAsByteArrayAsync();
                Assert.True(response.IsSuccessStatusCode, Encoding.UTF8.GetString(bytes));
                answers.Add(HttpBodyJson.ParsePublishResult(bytes));
            }

            return answers;
        })).OrTimeout(TimeSpan.FromSeconds(60));

        var ranges = results.SelectMany(r => r).OrderBy(r => r.FirstId).ToList();
        Assert.Equal(Publishers * PostsEach, ranges.Count);
        Assert.All(ranges, r => Assert.Equal(Batch, r.Count));
        Assert.Equal(Enumerable.Range(0, ranges.Count).Select(i => 1L + (i * Batch)), ranges.Select(r => r.FirstId));
        var core = hub.Core();
        Assert.Equal(ranges[^1].LastId, core.CommittedId);
        Assert.True(core.Log.Count <= 1_500, $"store holds {core.Log.Count}");
        Assert.True(core.Log.Bytes <= 100_000, $"store holds {core.Log.Bytes} bytes");
    }
}
