using Lifeline.Hub;

namespace Lifeline.Benchmarks.Hub.Load;

/// <summary>What the load runner measures.</summary>
public enum HubLoadScenario
{
    /// <summary>Entries delivered per second to <see cref="HubLoadOptions.Subscribers"/> lean subscribers at the highest publish rate they all keep up with.</summary>
    Throughput,

    /// <summary>End-to-end latency (publish to receipt) p50/p99 at <see cref="HubLoadOptions.Rate"/> entries per second.</summary>
    Latency,

    /// <summary>HTTP NDJSON ingest rate (entries acknowledged per second).</summary>
    Ingest,

    /// <summary>Server memory per idle subscriber with <see cref="HubLoadOptions.IdleConnections"/> open streams.</summary>
    IdleMemory,

    /// <summary>Entries per second received by one subscriber resuming <see cref="HubLoadOptions.CatchUpEntries"/> entries back.</summary>
    CatchUp,
}

/// <summary>
/// Options of <see cref="HubLoadRunner"/>. The hub is either <see cref="Target"/> (another process, which the caller
/// may pin to other cores) or, when that is <see langword="null"/>, one started in this process with <see cref="Store"/>.
/// </summary>
public sealed class HubLoadOptions
{
    /// <summary>The scenario.</summary>
    public HubLoadScenario Scenario { get; set; } = HubLoadScenario.Throughput;

    /// <summary>Base URL of a running hub (<c>http://127.0.0.1:5000</c>), or <see langword="null"/> to start one in-process.</summary>
    public Uri? Target { get; set; }

    /// <summary>API key for <see cref="Target"/> (scopes read and write), or <see langword="null"/> for a no-auth hub.</summary>
    public string? Key { get; set; }

    /// <summary>
    /// Reads the hub's memory (managed heap after a full collection, resident set, free pool blocks) for <see cref="HubLoadScenario.IdleMemory"/>
    /// when the hub is another process; <see langword="null"/> measures this process (in-process hub).
    /// </summary>
    public Func<CancellationToken, Task<ProcessMemory>>? MeasureTargetMemory { get; set; }

    /// <summary>Store of the in-process hub.</summary>
    public HubStoreKind Store { get; set; } = HubStoreKind.Memory;

    /// <summary>SQLite file of the in-process hub (deleted before and after).</summary>
    public string SqlitePath { get; set; } = Path.Combine(Path.GetTempPath(), "lifeline-load.db");

    /// <summary>Lean subscribers for throughput and latency.</summary>
    public int Subscribers { get; set; } = 100;

    /// <summary>
    /// Entries per WebSocket publish message in the stream scenarios: 1 is one message per entry, pipelined (a service
    /// that logs line by line, or any third-party client); 0 (the default) sends what is due every 10 ms tick in one
    /// message (rate/100 entries).
    /// </summary>
    public int PerPublish { get; set; }

    /// <summary>What the lean subscribers subscribe to and parse: the hub's <c>/v1/stream</c> unless a baseline server is measured.</summary>
    public LeanFormat Format { get; set; } = LeanFormat.Lifeline;

    /// <summary>
    /// A baseline server's paced publisher (publishes at the pace until cancelled, counting what it sent), or
    /// <see langword="null"/> for the hub's <c>/v1/ingest</c>. With one, the server has no acks and no overflow count:
    /// what was sent counts as published.
    /// </summary>
    public Func<Uri, PublishPace, CancellationToken, Task>? BaselinePublisher { get; set; }

    /// <summary>
    /// Reads the server process's total CPU time (user+system) when it is another process, for CPU per delivery and
    /// the server's share of its core; <see langword="null"/> reads this process (in-process hub: includes the load).
    /// </summary>
    public Func<TimeSpan>? ReadTargetCpu { get; set; }

    /// <summary>The core the server is pinned to (its busy share is read from <c>/proc/stat</c>), or -1 for none.</summary>
    public int TargetCore { get; set; } = -1;

    /// <summary>Approximate encoded size of one entry.</summary>
    public int EntryBytes { get; set; } = 200;

    /// <summary>How long the measured phase of a timed scenario runs.</summary>
    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Entries per second published in the latency scenario.</summary>
    public int Rate { get; set; } = 2_000;

    /// <summary>Throughput: a fixed publish rate (entries per second), or 0 to step the rate up from <see cref="RampStart"/>.</summary>
    public int ThroughputRate { get; set; }

    /// <summary>Throughput: the first publish rate of the ramp.</summary>
    public int RampStart { get; set; } = 10_000;

    /// <summary>Throughput: how much each ramp step adds to the publish rate (when <see cref="RampFactor"/> is 0).</summary>
    public int RampStep { get; set; } = 5_000;

    /// <summary>
    /// Throughput: 0 for the linear ramp (<see cref="RampStep"/>), or a factor above 1 that multiplies the rate each step
    /// until a step is not kept up with, after which <see cref="RampRefinements"/> steps bisect between the best kept-up
    /// rate and the first one that was not. Finds the ceiling of servers far apart in a few steps each.
    /// </summary>
    public double RampFactor { get; set; }

    /// <summary>Throughput with <see cref="RampFactor"/>: bisection steps after the first step not kept up with.</summary>
    public int RampRefinements { get; set; } = 3;

    /// <summary>Throughput: time at each new rate before its step is measured (after a step not kept up with, the subscribers catch up).</summary>
    public TimeSpan RampSettle { get; set; } = TimeSpan.Zero;

    /// <summary>Latency: warm-up before the measured phase (the server's per-entry paths reach tier-1 code on its one core).</summary>
    public TimeSpan LatencyWarmUp { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Throughput: the highest publish rate tried.</summary>
    public int RampMax { get; set; } = 200_000;

    /// <summary>Throughput: how long each ramp step is measured.</summary>
    public TimeSpan RampStepDuration { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Entries per POST (HTTP NDJSON).</summary>
    public int BatchSize { get; set; } = 1_000;

    /// <summary>Concurrent HTTP publishers (ingest, catch-up fill).</summary>
    public int Publishers { get; set; } = 4;

    /// <summary>Open streams in the idle-memory scenario.</summary>
    public int IdleConnections { get; set; } = 5_000;

    /// <summary>
    /// How long the idle streams stay open before the server is measured. The default covers one keep-alive ping and one
    /// heartbeat round at the hub's default intervals, so what those rounds leave behind is counted.
    /// </summary>
    public TimeSpan IdleSettle { get; set; } = TimeSpan.FromSeconds(35);

    /// <summary>How long the idle-memory scenario keeps its streams open after measuring (to inspect the hub, e.g. with dotnet-gcdump).</summary>
    public TimeSpan IdleHold { get; set; } = TimeSpan.Zero;

    /// <summary>Entries to catch up in the catch-up scenario.</summary>
    public int CatchUpEntries { get; set; } = 1_000_000;
}
