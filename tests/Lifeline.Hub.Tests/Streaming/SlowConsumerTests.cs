using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Protocol;

namespace Lifeline.Hub.Tests.Streaming;

/// <summary>
/// A subscriber that does not read: the socket buffers fill, its bounded queue overflows, and it is switched to
/// catch-up from the store. About 18 MB are published so that loopback socket buffers cannot absorb them.
/// </summary>
public class SlowConsumerTests
{
    private const int Count = 30_000;
    private static readonly string Padding = new('p', 560);

    /// <summary>Small frames and queues so that a subscriber that does not read overflows quickly.</summary>
    private static Task<HubHost> StartAsync(Action<HubOptions>? more = null) => HubHost.StartAsync(o =>
    {
        o.MaxFrameBytes = 16 << 10;
        o.SubscriberQueueBytes = 64 << 10;
        more?.Invoke(o);
    });

    /// <summary>
    /// A store that keeps 2,000 of the 30,000 entries published. With no recent live frames held (the default here),
    /// what the store retains is all a catch-up can use.
    /// </summary>
    private static Task<HubHost> StartBehindRetentionAsync(long recentFramesBytes = 0, SlowConsumerPolicy policy = SlowConsumerPolicy.Gap) => StartAsync(o =>
    {
        o.MemoryMaxEntries = 2_000;
        o.RecentFramesBytes = recentFramesBytes;
        o.SlowConsumerPolicy = policy;
    });

    private static async Task PublishAsync(HubHost hub)
    {
        for (var i = 0; i < Count; i += 1_000)
        {
            await hub.PostAsync([.. Enumerable.Range(i + 1, 1_000).Select(n => new LogEntry { Message = $"m{n} {Padding}" })]);
        }
    }

    [Fact]
    public async Task SlowSubscriber_IsSwitchedToCatchUp_GetsEverythingOnceInOrder_AndDoesNotSlowOthers()
    {
        await using var hub = await StartAsync();
        await using var slow = await hub.SubscribeAsync("clientId=slow");
        await using var fast = await hub.SubscribeAsync("clientId=fast");
        await slow.ReceiveUntilAsync<LiveMessage>();
        await fast.ReceiveUntilAsync<LiveMessage>();

        // The fast subscriber reads while publishing goes on; the slow one reads nothing until the end.
        var fastReads = fast.ReceiveEntriesAsync(Count);
        await PublishAsync(hub);
        await fastReads;
        Assert.Equal(Enumerable.Range(1, Count).Select(i => (long)i), fast.Entries.Select(e => e.Id));

        var stats = await hub.StatsAsync();
        Assert.True(stats.GetProperty("overflows").GetInt64() >= 1, stats.ToString());

        await slow.ReceiveEntriesAsync(Count);
        Assert.Equal(Enumerable.Range(1, Count).Select(i => (long)i), slow.Entries.Select(e => e.Id));
        Assert.Empty(slow.Messages.OfType<GapMessage>());
    }

    [Fact]
    public async Task SlowSubscriber_BehindRetention_GapPolicy_GetsOverflowGap_AndEveryIdIsAccountedFor()
    {
        await using var hub = await StartBehindRetentionAsync();
        await using var slow = await hub.SubscribeAsync();
        await slow.ReceiveUntilAsync<LiveMessage>();
        await PublishAsync(hub);

        var seen = new List<long>();
        while (seen.Count == 0 || seen[^1] < Count)
        {
            switch (await slow.ReceiveAsync())
            {
                case EntriesMessage e:
                    seen.AddRange(e.Entries.Select(x => x.Id));
                    break;
                case GapMessage g:
                    Assert.Equal(GapReasons.Overflow, g.Reason);
                    Assert.True(seen.Count == 0 || g.FromId == seen[^1] + 1, $"gap {g.FromId} after {seen.LastOrDefault()}");
                    for (var id = g.FromId; id <= g.ToId; id++)
                    {
                        seen.Add(id);
                    }

                    break;
            }
        }

        Assert.Equal(Enumerable.Range(1, Count).Select(i => (long)i), seen);
        Assert.NotEmpty(slow.Messages.OfType<GapMessage>());
    }

    [Fact]
    public async Task SlowSubscriber_BehindRetention_ClosePolicy_Closes4008_WithItsResumePosition()
    {
        await using var hub = await StartBehindRetentionAsync(policy: SlowConsumerPolicy.Close);
        await using var slow = await hub.SubscribeAsync();
        await slow.ReceiveUntilAsync<LiveMessage>();
        await PublishAsync(hub);

        var (status, description) = await slow.ReceiveCloseAsync();
        Assert.Equal(CloseCodes.SlowConsumer, (int)status!);
        Assert.True(CloseReason.TryParse(description, out var reason));
        Assert.Equal(slow.Entries.Count == 0 ? 0 : slow.Entries[^1].Id, reason.ResumeAfter);
        Assert.Equal(Enumerable.Range(1, slow.Entries.Count).Select(i => (long)i), slow.Entries.Select(e => e.Id));
    }

    [Fact]
    public async Task SubscriberThatReadsLate_WithRoomInItsQueue_GetsEverythingOnceInOrder_WithoutOverflow()
    {
        // The queue bound holds all ~18 MB, so nothing overflows; but Kestrel's output buffer (64 KiB) and the socket
        // buffers fill while the subscriber does not read, so inline sends by the writer stop completing at once and
        // are handed to the send loop, which must keep them in order and never overlap them.
        await using var hub = await StartAsync(o => o.SubscriberQueueBytes = 64L << 20);
        await using var late = await hub.SubscribeAsync("clientId=late");
        await late.ReceiveUntilAsync<LiveMessage>();
        await PublishAsync(hub);

        await late.ReceiveEntriesAsync(Count);
        Assert.Equal(Enumerable.Range(1, Count).Select(i => (long)i), late.Entries.Select(e => e.Id));
        var stats = await hub.StatsAsync();
        Assert.Equal(0, stats.GetProperty("overflows").GetInt64());
    }

    [Fact]
    public async Task SlowSubscriber_BehindRetention_WithinRecentFrames_CatchesUpFromThem_WithoutAGap()
    {
        // The store keeps 2,000 entries, but the ~18 MB of live frames are still held: nothing is lost to this subscriber.
        await using var hub = await StartBehindRetentionAsync(recentFramesBytes: 64L << 20);
        await using var slow = await hub.SubscribeAsync();
        await slow.ReceiveUntilAsync<LiveMessage>();
        await PublishAsync(hub);

        await slow.ReceiveEntriesAsync(Count);
        Assert.Equal(Enumerable.Range(1, Count).Select(i => (long)i), slow.Entries.Select(e => e.Id));
        Assert.Empty(slow.Messages.OfType<GapMessage>());
        var stats = await hub.StatsAsync();
        Assert.True(stats.GetProperty("overflows").GetInt64() >= 1, stats.ToString());
    }
}
