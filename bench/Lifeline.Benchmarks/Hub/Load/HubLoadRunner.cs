using System.Diagnostics;
using System.Runtime;
using System.Runtime.CompilerServices;
using Lifeline.Hub;

namespace Lifeline.Benchmarks.Hub.Load;

/// <summary>
/// Runs one load scenario against a hub on loopback and returns its figures. Bounded in time: every phase has a
/// deadline, and everything it starts is stopped before it returns. Prints nothing; reports through
/// <see cref="IProgress{T}"/>.
/// </summary>
public static class HubLoadRunner
{
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(2);

    // Before a measured ingest rate: long enough for the hub's per-entry paths to reach their optimized (tier-1, PGO)
    // code on its one core, at a few hundred requests (latency: HubLoadOptions.LatencyWarmUp).
    private static readonly TimeSpan SteadyStateWarmUp = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan PhaseDeadline = TimeSpan.FromMinutes(3);

    /// <summary>Runs <see cref="HubLoadOptions.Scenario"/>.</summary>
    public static async Task<HubLoadResult> RunAsync(HubLoadOptions options, IProgress<HubLoadProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        InProcessHub? local = null;
        if (options.Target is null && options.Store == HubStoreKind.Sqlite)
        {
            DeleteDatabase(options.SqlitePath);
        }

        try
        {
            if (options.Target is null)
            {
                KestrelPoolGauge.Start();
                local = await InProcessHub.StartAsync(options.Store, options.SqlitePath).ConfigureAwait(false);
            }

            var hub = options.Target ?? local!.BaseUri;
            return options.Scenario switch
            {
                HubLoadScenario.Throughput => await ThroughputAsync(hub, options, progress, cancellationToken).ConfigureAwait(false),
                HubLoadScenario.Latency => await LatencyAsync(hub, options, progress, cancellationToken).ConfigureAwait(false),
                HubLoadScenario.Ingest => await IngestAsync(hub, options, progress, cancellationToken).ConfigureAwait(false),
                HubLoadScenario.IdleMemory => await IdleMemoryAsync(hub, options, progress, cancellationToken).ConfigureAwait(false),
                HubLoadScenario.CatchUp => await CatchUpAsync(hub, options, progress, cancellationToken).ConfigureAwait(false),
                _ => throw new ArgumentOutOfRangeException(nameof(options), options.Scenario, "unknown scenario"),
            };
        }
        finally
        {
            if (local is not null)
            {
                await local.DisposeAsync().ConfigureAwait(false);
                if (options.Store == HubStoreKind.Sqlite)
                {
                    DeleteDatabase(options.SqlitePath);
                }
            }
        }
    }

    private static async Task<HubLoadResult> LatencyAsync(Uri hub, HubLoadOptions options, IProgress<HubLoadProgress>? progress, CancellationToken cancellationToken)
    {
        var latency = new LatencyRecorder();
        var subscribers = await ConnectAsync(hub, options.Subscribers, options.Format, options.Key, 256 * 1024, latency, progress, cancellationToken).ConfigureAwait(false);
        await using var run = StreamRun.Start(hub, options, subscribers, options.Rate, cancellationToken);
        await Task.Delay(options.LatencyWarmUp, cancellationToken).ConfigureAwait(false);
        latency.Recording = true;
        var window = await run.MeasureAsync(options.Duration, Report(progress, "delivering"), cancellationToken).ConfigureAwait(false);
        latency.Recording = false;
        return Figures(HubLoadScenario.Latency, window, run.Disordered + run.Closed) with
        {
            P50Ms = latency.PercentileMs(0.50),
            P99Ms = latency.PercentileMs(0.99),
            MaxMs = latency.MaxMs,
        };
    }

    /// <summary>
    /// Paced publishing, the rate stepped up (or fixed by <see cref="HubLoadOptions.ThroughputRate"/>) until the
    /// subscribers stop keeping up. A step is kept up with when the server took what was due at the rate (acked by the
    /// hub; sent, for a baseline: a server that pushes back slows its publisher), every subscriber received what was
    /// taken (within 3%, for what is in flight at the window's edges), no subscriber queue overflowed and no stream
    /// ended. The figure is the best such step. The ramp adds <see cref="HubLoadOptions.RampStep"/> a step, or with a
    /// <see cref="HubLoadOptions.RampFactor"/> multiplies, then bisects below the first step not kept up with.
    /// </summary>
    private static async Task<HubLoadResult> ThroughputAsync(Uri hub, HubLoadOptions options, IProgress<HubLoadProgress>? progress, CancellationToken cancellationToken)
    {
        var subscribers = await ConnectAsync(hub, options.Subscribers, options.Format, options.Key, 256 * 1024, null, progress, cancellationToken).ConfigureAwait(false);
        var fixedRate = options.ThroughputRate > 0;
        var rate = fixedRate ? options.ThroughputRate : options.RampStart;
        await using var run = StreamRun.Start(hub, options, subscribers, rate, cancellationToken);
        await Task.Delay(WarmUp, cancellationToken).ConfigureAwait(false);
        HubLoadResult? best = null;
        var goodRate = 0;
        int? badRate = null;
        var refinements = 0;
        var overflows = await run.OverflowsAsync(cancellationToken).ConfigureAwait(false);
        var drain = false;
        while (true)
        {
            if (drain)
            {
                // After a step not kept up with, what the server still holds (queued publishes, subscribers catching up)
                // would count against the next, lower step.
                await run.DrainAsync(cancellationToken).ConfigureAwait(false);
            }

            run.Rate = rate;
            if (options.RampSettle > TimeSpan.Zero)
            {
                await Task.Delay(options.RampSettle, cancellationToken).ConfigureAwait(false);
                overflows = await run.OverflowsAsync(cancellationToken).ConfigureAwait(false);
            }

            var window = await run.MeasureAsync(fixedRate ? options.Duration : options.RampStepDuration, Report(progress, $"delivering at {rate:N0}/s"), cancellationToken).ConfigureAwait(false);
            var nowOverflows = await run.OverflowsAsync(cancellationToken).ConfigureAwait(false);
            var due = rate * window.Elapsed.TotalSeconds;
            var slack = InFlightSlack(options, rate, due);
            var keptUp = nowOverflows == overflows
                && window.Published >= due - slack
                && window.Delivered >= (window.Published - slack) * options.Subscribers
                && run.Disordered == 0 && run.Closed == 0;
            overflows = nowOverflows;
            drain = !keptUp;
            var step = Figures(HubLoadScenario.Throughput, window, keptUp ? 0 : 1);
            progress?.Report(new HubLoadProgress($"{rate:N0}/s published: {(keptUp ? "kept up" : "fell behind")} ({window.Published / window.Elapsed.TotalSeconds:N0}/s taken)", window.Delivered, step.EntriesPerSecond));
            if (keptUp && (best is null || step.EntriesPerSecond > best.EntriesPerSecond))
            {
                best = step;
            }

            if (fixedRate)
            {
                return step;
            }

            if (options.RampFactor <= 1)
            {
                if (!keptUp || rate + options.RampStep > options.RampMax)
                {
                    return best ?? step;
                }

                rate += options.RampStep;
                continue;
            }

            // Geometric ramp, then bisection between the highest rate kept up with and the lowest that was not.
            if (keptUp)
            {
                goodRate = Math.Max(goodRate, rate);
            }
            else
            {
                badRate = Math.Min(badRate ?? int.MaxValue, rate);
            }

            if (badRate is null)
            {
                if (rate >= options.RampMax)
                {
                    return best ?? step;
                }

                rate = (int)Math.Min(options.RampMax, rate * options.RampFactor);
                continue;
            }

            // Nothing kept up with yet (the start was too high for this server or this machine): halve, as many times as it may refine.
            var next = goodRate == 0 ? badRate.Value / 2 : (goodRate + badRate.Value) / 2;
            if (refinements++ >= options.RampRefinements || next == goodRate || next == 0)
            {
                return best ?? step;
            }

            rate = next;
        }
    }

    /// <summary>
    /// What may be in flight at a window's edges without anything falling behind: 3% of what was due, two publish ticks'
    /// worth, and two publish messages (100 entries per message at 2,000/s is 20 messages a second: one message is 2.5% of a 2 s window).
    /// </summary>
    private static double InFlightSlack(HubLoadOptions options, int rate, double due) =>
        (0.03 * due) + (2 * rate * LoadTraffic.PublishTick.TotalSeconds) + (2 * Math.Max(1, options.PerPublish));

    private static HubLoadResult Figures(HubLoadScenario scenario, StreamWindow window, int failures)
    {
        var seconds = window.Elapsed.TotalSeconds;
        return new HubLoadResult
        {
            Scenario = scenario,
            Elapsed = window.Elapsed,
            Entries = window.Delivered,
            EntriesPerSecond = window.Delivered / seconds,
            IngestedPerSecond = window.Published / seconds,
            SentPerSecond = window.Sent / seconds,
            BytesPerDelivery = window.Delivered > 0 ? (double)window.PayloadBytes / window.Delivered : 0,
            ServerMicrosecondsPerDelivery = window.Cpu.MicrosecondsPer(window.Delivered),
            ServerCpuPercent = window.Cpu.ProcessPercent,
            ServerCoreBusyPercent = window.Cpu.CorePercent,
            Failures = failures,
        };
    }

    private static Action<long, double>? Report(IProgress<HubLoadProgress>? progress, string phase) =>
        progress is null ? null : (count, perSecond) => progress.Report(new HubLoadProgress(phase, count, perSecond));

    private static async Task<HubLoadResult> IngestAsync(Uri hub, HubLoadOptions options, IProgress<HubLoadProgress>? progress, CancellationToken cancellationToken)
    {
        var body = LoadTraffic.NdjsonBody(options.BatchSize, options.EntryBytes);
        var clients = Enumerable.Range(0, options.Publishers).Select(_ => LoadTraffic.Http(hub, options.Key)).ToArray();
        var acked = new StrongBox<long>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var loops = clients.Select(c => LoadTraffic.PostLoopAsync(c, body, options.BatchSize, acked, stop.Token)).ToArray();
        try
        {
            await Task.Delay(SteadyStateWarmUp, cancellationToken).ConfigureAwait(false);
            var acked0 = Interlocked.Read(ref acked.Value);
            var watch = Stopwatch.StartNew();
            while (watch.Elapsed < options.Duration)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
                var n = Interlocked.Read(ref acked.Value) - acked0;
                progress?.Report(new HubLoadProgress("ingesting", n, n / watch.Elapsed.TotalSeconds));
            }

            var count = Interlocked.Read(ref acked.Value) - acked0;
            return new HubLoadResult { Scenario = HubLoadScenario.Ingest, Elapsed = watch.Elapsed, Entries = count, EntriesPerSecond = count / watch.Elapsed.TotalSeconds };
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(loops).ConfigureAwait(false);
            foreach (var c in clients)
            {
                c.Dispose();
            }
        }
    }

    private static async Task<HubLoadResult> IdleMemoryAsync(Uri hub, HubLoadOptions options, IProgress<HubLoadProgress>? progress, CancellationToken cancellationToken)
    {
        // The marginal cost of IdleConnections more streams: a baseline of 200 idle streams settles first (accept,
        // keep-alive pings and heartbeats get compiled and tiered, the thread pool sizes itself: the process's costs,
        // which would otherwise land on the measured subscribers), the server is measured, the measured streams open
        // and settle as long (IdleSettle covers a ping and a heartbeat round by default: each round's sends leave
        // Kestrel's block pool larger, and that stays), and the server is measured again.
        var measure = options.MeasureTargetMemory ?? MeasureThisProcessAsync;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var baseline = await ConnectAsync(hub, Math.Min(200, options.IdleConnections), options.Format, options.Key, 4096, null, null, cancellationToken).ConfigureAwait(false);
        var subscribers = new List<LeanSubscriber>();
        var receiving = baseline.Select(s => s.RunAsync(stop.Token)).ToList();
        var keepAlive = new List<Task> { StreamRun.KeepAliveLoopAsync(baseline, options.Format, stop.Token) };
        try
        {
            progress?.Report(new HubLoadProgress("baseline", baseline.Count, 0));
            await Task.Delay(options.IdleSettle, cancellationToken).ConfigureAwait(false);
            var before = await measure(cancellationToken).ConfigureAwait(false);
            subscribers = await ConnectAsync(hub, options.IdleConnections, options.Format, options.Key, 4096, null, progress, cancellationToken).ConfigureAwait(false);
            var measured = subscribers.Select(s => s.RunAsync(stop.Token)).ToArray();
            receiving.AddRange(measured);
            keepAlive.Add(StreamRun.KeepAliveLoopAsync(subscribers, options.Format, stop.Token));
            progress?.Report(new HubLoadProgress("settling", subscribers.Count, 0));
            await Task.Delay(options.IdleSettle, cancellationToken).ConfigureAwait(false);
            var after = await measure(cancellationToken).ConfigureAwait(false);
            if (options.IdleHold > TimeSpan.Zero)
            {
                progress?.Report(new HubLoadProgress("holding", subscribers.Count, 0));
                await Task.Delay(options.IdleHold, cancellationToken).ConfigureAwait(false);
            }

            return new HubLoadResult
            {
                Scenario = HubLoadScenario.IdleMemory,
                Entries = subscribers.Count,
                Failures = receiving.Count(r => r.IsCompleted),
                ManagedBytesPerSubscriber = (after.ManagedBytes - before.ManagedBytes) / (double)subscribers.Count,
                ResidentBytesPerSubscriber = (after.ResidentBytes - before.ResidentBytes) / (double)subscribers.Count,
                PooledBytesPerSubscriber = (after.PooledBytes - before.PooledBytes) / (double)subscribers.Count,
                CommittedBytesPerSubscriber = (after.CommittedBytes - before.CommittedBytes) / (double)subscribers.Count,
            };
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            foreach (var s in baseline.Concat(subscribers))
            {
                await s.DisposeAsync().ConfigureAwait(false);
            }

            await Task.WhenAll(receiving).ConfigureAwait(false);
            await Task.WhenAll(keepAlive).ConfigureAwait(false);
        }
    }

    private static async Task<HubLoadResult> CatchUpAsync(Uri hub, HubLoadOptions options, IProgress<HubLoadProgress>? progress, CancellationToken cancellationToken)
    {
        // Fill the store after the current end, then resume from just before the fill.
        using var http = LoadTraffic.Http(hub, options.Key);
        var start = await LastIdAsync(http, cancellationToken).ConfigureAwait(false);
        var body = LoadTraffic.NdjsonBody(options.BatchSize, options.EntryBytes);
        var acked = new StrongBox<long>();
        using (var fill = new CancellationTokenSource(PhaseDeadline))
        {
            var loops = Enumerable.Range(0, options.Publishers).Select(async _ =>
            {
                while (Interlocked.Add(ref acked.Value, 0) < options.CatchUpEntries)
                {
                    using var content = new ByteArrayContent(body);
                    content.Headers.ContentType = new("application/x-ndjson");
                    using var response = await http.PostAsync(new Uri("v1/logs", UriKind.Relative), content, fill.Token).ConfigureAwait(false);
                    response.EnsureSuccessStatusCode();
                    // Count outside the progress call: `progress?.Report(...)` skips its arguments when progress is null.
                    var filled = Interlocked.Add(ref acked.Value, options.BatchSize);
                    progress?.Report(new HubLoadProgress("filling", filled, 0));
                }
            });
            await Task.WhenAll(loops).ConfigureAwait(false);
        }

        var total = Interlocked.Read(ref acked.Value);
        var watch = Stopwatch.StartNew();
        await using var sub = await LeanSubscriber.ConnectAsync(hub, LeanFormat.Lifeline.At($"/v1/stream?after={start}"), options.Key, 1 << 20, null, cancellationToken).ConfigureAwait(false);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(PhaseDeadline);
        var run = sub.RunAsync(stop.Token);
        while (sub.Entries < total && !run.IsCompleted)
        {
            await Task.WhenAny(run, Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken)).ConfigureAwait(false);
        }

        var elapsed = watch.Elapsed;
        var received = sub.Entries;
        await stop.CancelAsync().ConfigureAwait(false);
        await run.ConfigureAwait(false);
        return new HubLoadResult
        {
            Scenario = HubLoadScenario.CatchUp,
            Elapsed = elapsed,
            Entries = received,
            EntriesPerSecond = received / elapsed.TotalSeconds,
            Failures = received < total || sub.SawDisorder ? 1 : 0,
        };
    }

    private static async Task<List<LeanSubscriber>> ConnectAsync(Uri hub, int count, LeanFormat format, string? key, int buffer, LatencyRecorder? latency, IProgress<HubLoadProgress>? progress, CancellationToken cancellationToken)
    {
        var list = new List<LeanSubscriber>(count);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(PhaseDeadline);
        for (var i = 0; i < count; i += 50)
        {
            var batch = await Task.WhenAll(Enumerable.Range(i, Math.Min(50, count - i)).Select(_ => LeanSubscriber.ConnectAsync(hub, format, key, buffer, latency, deadline.Token))).ConfigureAwait(false);
            list.AddRange(batch);
            progress?.Report(new HubLoadProgress("connecting", list.Count, 0));
        }

        return list;
    }

    private static async Task<long> LastIdAsync(HttpClient http, CancellationToken cancellationToken)
    {
        var page = Lifeline.Protocol.HttpBodyJson.ParseQueryPage(await http.GetByteArrayAsync(new Uri("v1/logs?limit=1&after=999999999999", UriKind.Relative), cancellationToken).ConfigureAwait(false));
        return page.LastId;
    }

    /// <summary>
    /// Managed heap after a full compacting collection, resident set and Kestrel's free pool blocks of this process (an
    /// in-process hub shares them with the load). Call <see cref="KestrelPoolGauge.Start"/> before the hub starts.
    /// </summary>
    public static Task<ProcessMemory> MeasureThisProcessAsync(CancellationToken cancellationToken)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var managed = GC.GetTotalMemory(forceFullCollection: false);
        using var self = Process.GetCurrentProcess();
        return Task.FromResult(new ProcessMemory(managed, self.WorkingSet64, KestrelPoolGauge.PooledBytes, GC.GetGCMemoryInfo().TotalCommittedBytes));
    }

    private static void DeleteDatabase(string path)
    {
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(path + suffix);
        }
    }
}
