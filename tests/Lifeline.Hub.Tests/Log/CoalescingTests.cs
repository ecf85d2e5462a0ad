using System.Diagnostics.Metrics;
using Lifeline.Hub.Log;
using Lifeline.Hub.Monitoring;
using Lifeline.Hub.Storage;
using Lifeline.Protocol;
using Lifeline.Testing.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Lifeline.Hub.Tests.Log;

/// <summary>
/// Issue 12, point 1: publishes that arrive while the writer is busy are committed as one batch (so each subscriber
/// gets one frame for all of them), in publish order; a publish on an idle log is committed on its own at once.
/// </summary>
public class CoalescingTests
{
    [Fact]
    public async Task PublishesArrivingWhileTheWriterIsBusy_AreCommittedAsOneBatch_InOrder()
    {
        var sink = new GatedSink();
        await using var log = await StartAsync(sink);

        // The first publish is committed alone, and the writer is held inside its hand-off to the fan-out.
        var first = log.AppendAsync(Entries("first"), null, CancellationToken.None);
        await sink.Entered.Task.OrTimeout();

        // Meanwhile 200 single-entry publishes arrive, one after another, as a line-by-line logger sends them.
        var pending = Enumerable.Range(0, 200).Select(i => log.AppendAsync(Entries($"line {i}"), null, CancellationToken.None)).ToList();
        Assert.All(pending, p => Assert.False(p.IsCompleted));
        sink.Release.SetResult();

        var results = await Task.WhenAll(pending).OrTimeout();
        Assert.Equal(1, (await first.OrTimeout()).Result.FirstId);
        Assert.Equal(Enumerable.Range(2, 200).Select(i => (long)i), results.Select(r => r.Result.FirstId));
        Assert.Equal([1, 200], sink.BatchSizes);
        Assert.Equal(Enumerable.Range(0, 200).Select(i => $"line {i}"), sink.Messages.Skip(1));
    }

    [Fact]
    public async Task APublishOnAnIdleLog_IsCommittedAlone_WithoutWaitingForMore()
    {
        var sink = new GatedSink();
        sink.Release.SetResult();
        await using var log = await StartAsync(sink);

        var answer = await log.AppendAsync(Entries("alone"), null, CancellationToken.None).OrTimeout();

        Assert.Equal(1, answer.Result.FirstId);
        Assert.Equal([1], sink.BatchSizes);
    }

    private static List<EntryFields> Entries(string message) => [new EntryFields { Level = LogLevel.Information, Source = "app", Message = message }];

    private static async Task<LocalEntryLog> StartAsync(ICommitSink sink)
    {
        var options = new HubOptions { Store = HubStoreKind.Memory };
        var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new HubMetrics(services.GetRequiredService<IMeterFactory>(), Options.Create(options));
        var log = new LocalEntryLog(options, metrics, NullLogger.Instance);
        await log.StartAsync(sink, CancellationToken.None);
        return log;
    }

    /// <summary>Records committed batches; holds the writer inside the first <see cref="Publish"/> until released.</summary>
    private sealed class GatedSink : ICommitSink
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<int> BatchSizes { get; } = [];

        public List<string> Messages { get; } = [];

        public void Publish(IReadOnlyList<StoredEntry> batch)
        {
            BatchSizes.Add(batch.Count);
            Messages.AddRange(batch.Select(e => e.Message));
            if (Entered.TrySetResult())
            {
                // Only the first batch waits (if the writer ran on the publisher's thread, this would hold the test's
                // thread until the timeout, and the assertions then show the batches it made).
                Release.Task.Wait(TaskTimeoutExtensions.DefaultTimeout);
            }
        }

        public void Deliver()
        {
        }
    }
}
