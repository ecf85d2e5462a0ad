using Lifeline.Hub.Client.Shipping;
using Lifeline.Protocol;
using Lifeline.Testing.Tasks;
using Lifeline.Testing.Time;

namespace Lifeline.Extensions.Logging.Tests.Shipping;

public class LogShipperTests
{
    private readonly ManualTimeProvider _time = new();
    private readonly InProcessPublisher _publisher = new();

    private LogShipper CreateShipper(int capacity = 100, int maxBatch = 10, TimeSpan? interval = null) =>
        new(
            new LogShippingOptions
            {
                Url = new Uri("http://127.0.0.1:1/"),
                BufferCapacity = capacity,
                MaxBatchSize = maxBatch,
                BatchInterval = interval ?? TimeSpan.FromSeconds(1),
                TimeProvider = _time,
            },
            _publisher);

    private static PendingEntry Entry(int i) => new(default, Lifeline.Protocol.LogEntryLevel.Information, "test", $"m{i}", null);

    [Fact]
    public async Task FullBatch_IsPublishedWithoutWaitingForTheInterval()
    {
        await using var shipper = CreateShipper(maxBatch: 10);
        for (var i = 0; i < 10; i++)
        {
            shipper.Enqueue(Entry(i));
        }

        await shipper.WaitForAsync(s => s.Acknowledged == 10).OrTimeout(TimeSpan.FromSeconds(30));
        var batch = Assert.Single(_publisher.Batches);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"m{i}"), batch.Select(e => e.Message));
    }

    [Fact]
    public async Task PartialBatch_IsPublishedOnlyWhenTheIntervalPasses()
    {
        await using var shipper = CreateShipper(maxBatch: 10, interval: TimeSpan.FromSeconds(2));
        shipper.Enqueue(Entry(1));
        shipper.Enqueue(Entry(2));

        await _time.WaitForTimersAsync(1).OrTimeout(TimeSpan.FromSeconds(30));   // the loop waits for the batch to fill
        Assert.Equal(TimeSpan.FromSeconds(2), _time.NextDueIn);
        Assert.Empty(_publisher.Batches);

        var acked = shipper.WaitForAsync(s => s.Acknowledged == 2);
        _time.Advance(TimeSpan.FromSeconds(2));
        await acked.OrTimeout(TimeSpan.FromSeconds(30));
        Assert.Equal(["m1", "m2"], Assert.Single(_publisher.Batches).Select(e => e.Message));
    }

    [Fact]
    public async Task HubDown_BufferOverflows_OldestDroppedAndCountedExactly_OneSummaryFirstOnceBack()
    {
        const int capacity = 50, maxBatch = 10, more = 130;
        await using var shipper = CreateShipper(capacity, maxBatch);
        _publisher.GoDown();

        // One full batch goes in flight and waits for the hub; then the buffer absorbs what it can.
        for (var i = 0; i < maxBatch; i++)
        {
            shipper.Enqueue(Entry(i));
        }

        await shipper.WaitForAsync(s => s.InFlight == maxBatch).OrTimeout(TimeSpan.FromSeconds(30));
        for (var i = maxBatch; i < maxBatch + more; i++)
        {
            shipper.Enqueue(Entry(i));   // never blocks although nothing can be published
        }

        var stats = shipper.GetStats();
        Assert.Equal(more - capacity, stats.Dropped);
        Assert.Equal(capacity, stats.Waiting);

        _publisher.ComeBack();
        await shipper.DisposeAsync().AsTask().OrTimeout(TimeSpan.FromSeconds(30));

        var stored = _publisher.Stored.ToList();
        var summary = Assert.Single(stored, e => e.Source == "Lifeline");
        Assert.Equal($"{more - capacity} entries dropped while the hub was unreachable", summary.Message);
        Assert.Equal(Lifeline.Protocol.LogEntryLevel.Warning, summary.Level);
        Assert.Equal(more - capacity, summary.Properties!.Value.GetProperty("dropped").GetInt64());

        // In order: the batch that was in flight, the summary where the dropped entries were, then the newest `capacity`.
        var expected = Enumerable.Range(0, maxBatch).Select(i => $"m{i}")
            .Append(summary.Message)
            .Concat(Enumerable.Range(maxBatch + more - capacity, capacity).Select(i => $"m{i}"));
        Assert.Equal(expected, stored.Select(e => e.Message));
        Assert.Equal(maxBatch + capacity + 1, shipper.GetStats().Acknowledged);
    }

    [Fact]
    public async Task Dispose_FlushesEverythingBufferedWithoutWaitingForTheInterval()
    {
        var shipper = CreateShipper(capacity: 1000, maxBatch: 7, interval: TimeSpan.FromHours(1));
        for (var i = 0; i < 100; i++)
        {
            shipper.Enqueue(Entry(i));
        }

        await shipper.DisposeAsync().AsTask().OrTimeout(TimeSpan.FromSeconds(30));

        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"m{i}"), _publisher.Stored.Select(e => e.Message));
        Assert.All(_publisher.Batches, b => Assert.InRange(b.Count, 1, 7));
        Assert.True(_publisher.Disposed);
        Assert.Equal(new LogShipperStats(100, 0, 0, 100, 0, 0, 0), shipper.GetStats());
    }

    [Fact]
    public async Task Dispose_HubStillDown_GivesUpAtTheDeadlineAndCountsTheRestAsLost()
    {
        var shipper = CreateShipper(capacity: 100, maxBatch: 5);
        _publisher.GoDown();
        for (var i = 0; i < 12; i++)
        {
            shipper.Enqueue(Entry(i));
        }

        await shipper.WaitForAsync(s => s.InFlight == 5).OrTimeout(TimeSpan.FromSeconds(30));
        var disposing = shipper.DisposeAsync().AsTask();
        await _time.WaitForTimersAsync(1).OrTimeout(TimeSpan.FromSeconds(30));   // the shutdown deadline is armed
        Assert.False(disposing.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(5));
        await disposing.OrTimeout(TimeSpan.FromSeconds(30));

        Assert.Empty(_publisher.Batches);
        Assert.Equal(12, shipper.GetStats().Lost);
        shipper.Enqueue(Entry(99));   // after shutdown: not accepted, counted, no exception
        Assert.Equal(13, shipper.GetStats().Lost);
    }

    [Fact]
    public async Task RejectedEntry_IsDroppedAndCounted_TheRestOfItsBatchIsStored()
    {
        await using var shipper = CreateShipper(maxBatch: 4);
        _publisher.RejectMessage = "m2";
        for (var i = 0; i < 4; i++)
        {
            shipper.Enqueue(Entry(i));
        }

        await shipper.WaitForAsync(s => s.Acknowledged == 3).OrTimeout(TimeSpan.FromSeconds(30));
        Assert.Equal(["m0", "m1", "m3"], _publisher.Stored.Select(e => e.Message));
        Assert.Equal(1, shipper.GetStats().Rejected);
    }

    /// <summary>
    /// Regression: an <c>unavailable</c> answer (a cluster node whose engine was down, after the client's own retries of
    /// the same ref ran out) was taken for a refused batch: split into single entries, and the first counted as rejected
    /// and dropped. It is a failure to retry, like an unreachable hub.
    /// </summary>
    [Fact]
    public async Task UnavailableAnswer_IsRetriedAfterTheDelay_NotRejected_EveryEntryStoredOnce()
    {
        await using var shipper = CreateShipper(maxBatch: 4, interval: TimeSpan.Zero);
        _publisher.UnavailableAnswers = 2;
        for (var i = 0; i < 4; i++)
        {
            shipper.Enqueue(Entry(i));
        }

        for (var retry = 1; retry <= 2; retry++)
        {
            await _time.WaitForTimersAsync(1).OrTimeout(TimeSpan.FromSeconds(30));   // the retry delay after an unavailable answer
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        await shipper.WaitForAsync(s => s.Acknowledged == 4).OrTimeout(TimeSpan.FromSeconds(30));
        Assert.Equal(["m0", "m1", "m2", "m3"], Assert.Single(_publisher.Batches).Select(e => e.Message));
        Assert.Equal(0, shipper.GetStats().Rejected);
    }

    [Fact]
    public async Task LongSource_IsTruncatedToTheProtocolLimit()
    {
        await using var shipper = CreateShipper(maxBatch: 1);
        shipper.Enqueue(new PendingEntry(default, Lifeline.Protocol.LogEntryLevel.Information, new string('s', 300), "x", null));
        await shipper.WaitForAsync(s => s.Acknowledged == 1).OrTimeout(TimeSpan.FromSeconds(30));
        Assert.Equal(LogEntry.MaxSourceLength, Assert.Single(_publisher.Stored).Source.Length);
    }

    [Theory]
    [InlineData(nameof(LogShippingOptions.Url))]
    [InlineData(nameof(LogShippingOptions.BufferCapacity))]
    [InlineData(nameof(LogShippingOptions.MaxBatchSize))]
    [InlineData(nameof(LogShippingOptions.BatchInterval))]
    [InlineData(nameof(LogShippingOptions.ShutdownTimeout))]
    public void Validate_NamesTheInvalidOption(string option)
    {
        var options = new LogShippingOptions { Url = new Uri("http://127.0.0.1:1/") };
        switch (option)
        {
            case nameof(LogShippingOptions.Url): options.Url = new Uri("ftp://x/"); break;
            case nameof(LogShippingOptions.BufferCapacity): options.BufferCapacity = 0; break;
            case nameof(LogShippingOptions.MaxBatchSize): options.MaxBatchSize = 0; break;
            case nameof(LogShippingOptions.BatchInterval): options.BatchInterval = TimeSpan.FromSeconds(-1); break;
            case nameof(LogShippingOptions.ShutdownTimeout): options.ShutdownTimeout = TimeSpan.Zero; break;
        }

        var ex = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Equal(option, ex.ParamName);
    }
}
