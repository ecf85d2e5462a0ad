using System.Diagnostics.Metrics;
using Lifeline.Hub.Log;
using Lifeline.Hub.Monitoring;
using Lifeline.Hub.Storage;
using Lifeline.LocalNats;
using Lifeline.Protocol;
using Lifeline.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Lifeline.Hub.Tests.Cluster;

/// <summary>
/// One cluster node's log alone (no Kestrel): a <see cref="JetStreamEntryLog"/> on a <see cref="LocalNatsCluster"/> whose
/// sink records every batch it is handed, in order. Dispose completes and disposes the log.
/// </summary>
internal sealed class ClusterNode : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private ClusterNode(JetStreamEntryLog log, RecordingSink sink, ServiceProvider services)
    {
        Log = log;
        Sink = sink;
        _services = services;
    }

    public JetStreamEntryLog Log { get; }

    public RecordingSink Sink { get; }

    /// <summary>Options for a node called <paramref name="name"/> on <paramref name="cluster"/> (memory mirror, 3 replicas).</summary>
    public static HubOptions Options(LocalNatsCluster cluster, string name, string stream = "LIFELINE") => new()
    {
        ClusterUrls = [.. cluster.Urls],
        ClusterNodeName = name,
        ClusterStream = stream,
        ClusterSubject = stream.ToLowerInvariant() + ".log",
        ClusterReplicas = 3,
    };

    public static async Task<ClusterNode> StartAsync(HubOptions options)
    {
        options.Validate();
        var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new HubMetrics(services.GetRequiredService<IMeterFactory>(), Microsoft.Extensions.Options.Options.Create(options));
        var log = new JetStreamEntryLog(options, metrics, NullLogger.Instance);
        var sink = new RecordingSink();
        await log.StartAsync(sink, CancellationToken.None);
        return new ClusterNode(log, sink, services);
    }

    public Task<(PublishResult Result, bool Replayed)> AppendAsync(string key, params string[] messages) =>
        Log.AppendAsync([.. messages.Select(m => new EntryFields { Level = LogEntryLevel.Information, Source = "test", Message = m })], key, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        await Log.DisposeAsync();
        await _services.DisposeAsync();
    }

    /// <summary>Records each batch the log hands over; checks the sink's contract (contiguous ids, in order) as it goes.</summary>
    internal sealed class RecordingSink : ICommitSink
    {
        private readonly Lock _lock = new();
        private readonly List<StoredEntry> _entries = [];
        private readonly List<(long Count, TaskCompletionSource Reached)> _waiters = [];

        private Gate? _gate;

        public List<string> Violations { get; } = [];

        public IReadOnlyList<StoredEntry> Entries
        {
            get
            {
                lock (_lock)
                {
                    return [.. _entries];
                }
            }
        }

        /// <summary>
        /// Holds the next <see cref="Publish"/> (and so the node's applier, which calls it after storing the batch and
        /// before it moves its applied position) until the gate is opened.
        /// </summary>
        public Gate HoldNext() => _gate = new Gate();

        public void Publish(IReadOnlyList<StoredEntry> batch)
        {
            if (Interlocked.Exchange(ref _gate, null) is { } gate)
            {
                gate.Entered.TrySetResult();
                gate.Opened.Wait(TimeSpan.FromSeconds(60));
            }

            lock (_lock)
            {
                foreach (var e in batch)
                {
                    if (_entries.Count > 0 && e.Id != _entries[^1].Id + 1)
                    {
                        Violations.Add($"id {e.Id} after {_entries[^1].Id}");
                    }

                    _entries.Add(e);
                }

                foreach (var (count, reached) in _waiters)
                {
                    if (_entries.Count >= count)
                    {
                        reached.TrySetResult();
                    }
                }
            }
        }

        public void Deliver()
        {
        }

        internal sealed class Gate : IDisposable
        {
            public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

            public ManualResetEventSlim Opened { get; } = new();

            public void Open() => Opened.Set();

            public void Dispose()
            {
                Opened.Set();
                Opened.Dispose();
            }
        }

        /// <summary>Completes once at least <paramref name="count"/> entries were handed over.</summary>
        public Task WaitForAsync(long count)
        {
            lock (_lock)
            {
                var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                if (_entries.Count >= count)
                {
                    reached.SetResult();
                }
                else
                {
                    _waiters.Add((count, reached));
                }

                return reached.Task;
            }
        }
    }
}
