namespace Lifeline.Hub;

/// <summary>Where the hub keeps entries.</summary>
public enum HubStoreKind
{
    /// <summary>An in-memory ring bounded by <see cref="HubOptions.MemoryMaxEntries"/> and <see cref="HubOptions.MemoryMaxBytes"/>.</summary>
    Memory,

    /// <summary>A durable SQLite file at <see cref="HubOptions.SqlitePath"/> (WAL, batched commits).</summary>
    Sqlite,
}

/// <summary>What happens to a slow subscriber that falls behind what the store retains.</summary>
public enum SlowConsumerPolicy
{
    /// <summary>Send a <c>gap</c> with reason <c>overflow</c> naming the lost ids, and continue.</summary>
    Gap,

    /// <summary>Close with 4008 and the subscriber's resume position.</summary>
    Close,
}

/// <summary>Options of the hub (docs/hub.md, "Options"). Immutable once the hub starts; <see cref="Validate"/> checks them.</summary>
public sealed class HubOptions
{
    /// <summary>Time source for timestamps, heartbeats, retention, key reloads, flood limits and shutdown deadlines.</summary>
    /// <value>Default: <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Where entries are kept.</summary>
    /// <value>Default: <see cref="HubStoreKind.Memory"/>.</value>
    public HubStoreKind Store { get; set; } = HubStoreKind.Memory;

    /// <summary>Path of the SQLite database when <see cref="Store"/> is <see cref="HubStoreKind.Sqlite"/>.</summary>
    /// <value>Default: <c>lifeline.db</c>.</value>
    public string SqlitePath { get; set; } = "lifeline.db";

    /// <summary>Whether SQLite commits use <c>synchronous=FULL</c> (survive power loss) instead of <c>NORMAL</c> (survive a process kill).</summary>
    /// <value>Default: <see langword="false"/>.</value>
    public bool SqliteSynchronousFull { get; set; }

    /// <summary>The most entries the memory store keeps.</summary>
    /// <value>Default: 1,000,000.</value>
    public int MemoryMaxEntries { get; set; } = 1_000_000;

    /// <summary>The most bytes (of encoded entry JSON) the memory store keeps.</summary>
    /// <value>Default: 512 MiB.</value>
    public long MemoryMaxBytes { get; set; } = 512L << 20;

    /// <summary>Entries older than this (by <c>ts</c> of receipt order) are deleted; <see langword="null"/> keeps them.</summary>
    /// <value>Default: <see langword="null"/>.</value>
    public TimeSpan? RetentionMaxAge { get; set; }

    /// <summary>The most bytes of encoded entries the SQLite store keeps before deleting the oldest; <see langword="null"/> for no limit.</summary>
    /// <value>Default: <see langword="null"/>.</value>
    public long? RetentionMaxBytes { get; set; }

    /// <summary>How often retention by age runs.</summary>
    /// <value>Default: 1 minute.</value>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Whether requests need an API key. <see langword="false"/> is <c>--no-auth</c>: only loopback connections are served.</summary>
    /// <value>Default: <see langword="true"/>.</value>
    public bool RequireAuthentication { get; set; } = true;

    /// <summary>Path of the keys file (JSON, docs/hub.md "Keys"), reloaded when it changes; <see langword="null"/> for none.</summary>
    /// <value>Default: <see langword="null"/>.</value>
    public string? KeysFile { get; set; }

    /// <summary>Name of the environment variable holding keys as <c>key=scope,scope;key2=scope</c>; <see langword="null"/> for none.</summary>
    /// <value>Default: <c>LIFELINE_KEYS</c>.</value>
    public string? KeysEnvironmentVariable { get; set; } = "LIFELINE_KEYS";

    /// <summary>How often the keys file is checked for changes (revocations close streams within this interval).</summary>
    /// <value>Default: 2 seconds.</value>
    public TimeSpan KeysReloadInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The largest encoded entry accepted.</summary>
    /// <value>Default: 64 KiB.</value>
    public int MaxEntryBytes { get; set; } = 64 << 10;

    /// <summary>The largest <c>POST /v1/logs</c> body.</summary>
    /// <value>Default: 16 MiB.</value>
    public long MaxRequestBytes { get; set; } = 16L << 20;

    /// <summary>The largest WebSocket message accepted (close 1009 beyond).</summary>
    /// <value>Default: 1 MiB.</value>
    public int MaxMessageBytes { get; set; } = 1 << 20;

    /// <summary>The target size of an <c>entries</c> frame sent to subscribers (one entry may exceed it).</summary>
    /// <value>Default: 64 KiB.</value>
    public int MaxFrameBytes { get; set; } = 64 << 10;

    /// <summary>The bound of each subscriber's send queue, in bytes; a subscriber past it is switched to catch-up.</summary>
    /// <value>Default: 4 MiB.</value>
    public long SubscriberQueueBytes { get; set; } = 4L << 20;

    /// <summary>
    /// How many bytes of the most recent unfiltered live frames the hub keeps, so that subscribers catching up over
    /// recent ids are sent those shared frames instead of frames rebuilt from the store for each (0 turns this off).
    /// </summary>
    /// <value>Default: 32 MiB.</value>
    public long RecentFramesBytes { get; set; } = 32L << 20;

    /// <summary>What happens to a slow subscriber that falls behind what the store retains.</summary>
    /// <value>Default: <see cref="SlowConsumerPolicy.Gap"/>.</value>
    public SlowConsumerPolicy SlowConsumerPolicy { get; set; } = SlowConsumerPolicy.Gap;

    /// <summary>How often a quiet stream gets an application <c>heartbeat</c> message.</summary>
    /// <value>Default: 30 seconds.</value>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>WebSocket protocol ping interval (Kestrel keep-alive).</summary>
    /// <value>Default: 15 seconds.</value>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a ping may go without a pong before the connection is aborted.</summary>
    /// <value>Default: 30 seconds.</value>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The most messages per second one ingest connection may send (bursts of twice that), or 0 for no limit. Over it,
    /// the hub first slows the publisher down (it stops reading that socket until the rate allows the next message);
    /// only a publisher that stays over it for <see cref="FloodGracePeriod"/> is closed with 4029.
    /// </summary>
    /// <value>Default: 0 (no limit: one publisher may use the hub's whole ingest rate; the bounded ingest queue still
    /// stops reading a publisher faster than the hub can store).</value>
    public int MaxMessagesPerSecond { get; set; }

    /// <summary>How long a publisher may stay over <see cref="MaxMessagesPerSecond"/>, slowed down, before it is closed with 4029.</summary>
    /// <value>Default: 10 seconds.</value>
    public TimeSpan FloodGracePeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How many idempotency keys are remembered at least.</summary>
    /// <value>Default: 10,000.</value>
    public int IdempotencyCapacity { get; set; } = 10_000;

    /// <summary>How long idempotency keys are remembered at least.</summary>
    /// <value>Default: 10 minutes.</value>
    public TimeSpan IdempotencyWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long shutdown waits for connections to close and ingests to flush before aborting them.</summary>
    /// <value>Default: 10 seconds.</value>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The range of the jittered <c>retryAfterMs</c> sent in 1001 closes.</summary>
    /// <value>Default: 500 ms to 5 s.</value>
    public (TimeSpan Min, TimeSpan Max) ReconnectJitter { get; set; } = (TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(5));

    /// <summary>
    /// The NATS servers of a JetStream cluster (<c>nats://host:port</c>) whose stream holds the log; several hubs given
    /// the same servers and <see cref="ClusterStream"/> act as one hub (docs/cluster.md). Empty: a single-node hub whose
    /// log is <see cref="Store"/>. In a cluster, <see cref="Store"/> is the node's local mirror of the stream.
    /// </summary>
    /// <value>Default: empty (no cluster).</value>
    public IList<string> ClusterUrls { get; set; } = [];

    /// <summary>The JetStream stream that holds the cluster's log (created when missing).</summary>
    /// <value>Default: <c>LIFELINE</c>.</value>
    public string ClusterStream { get; set; } = "LIFELINE";

    /// <summary>The subject the cluster's log is published on (the stream's only subject).</summary>
    /// <value>Default: <c>lifeline.log</c>.</value>
    public string ClusterSubject { get; set; } = "lifeline.log";

    /// <summary>How many servers keep a copy of the stream; an ack means this many have it (a majority acknowledged it).</summary>
    /// <value>Default: 3.</value>
    public int ClusterReplicas { get; set; } = 3;

    /// <summary>This node's name in the cluster: in <c>/v1/stats</c>, and in the ids of its appends to the stream.</summary>
    /// <value>Default: the machine name and the process id.</value>
    public string ClusterNodeName { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>
    /// How long a publish waits for the engine (through leader elections and reconnects) before it is answered with
    /// <c>unavailable</c>; a publisher then retries with the same key (docs/cluster.md, "Failures").
    /// </summary>
    /// <value>Default: 10 seconds.</value>
    public TimeSpan ClusterAppendTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a node asks the engine for the stream's state (leader, first and last sequence) and applies its retention to the mirror.</summary>
    /// <value>Default: 2 seconds.</value>
    public TimeSpan ClusterStatusInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Whether <see cref="ClusterUrls"/> names any server.</summary>
    public bool IsCluster => ClusterUrls.Count > 0;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        static void Positive(TimeSpan value, string name)
        {
            if (value <= TimeSpan.Zero)
            {
                throw new ArgumentException($"{name} must be positive", name);
            }
        }

        ArgumentNullException.ThrowIfNull(TimeProvider);
        ArgumentOutOfRangeException.ThrowIfLessThan(MemoryMaxEntries, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MemoryMaxBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxEntryBytes, 64);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRequestBytes, MaxEntryBytes);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxMessageBytes, 64);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFrameBytes, 256);
        ArgumentOutOfRangeException.ThrowIfLessThan(SubscriberQueueBytes, MaxFrameBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(RecentFramesBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxMessagesPerSecond);
        ArgumentOutOfRangeException.ThrowIfLessThan(IdempotencyCapacity, 0);
        Positive(HeartbeatInterval, nameof(HeartbeatInterval));
        Positive(KeepAliveInterval, nameof(KeepAliveInterval));
        Positive(KeepAliveTimeout, nameof(KeepAliveTimeout));
        Positive(ShutdownTimeout, nameof(ShutdownTimeout));
        Positive(FloodGracePeriod, nameof(FloodGracePeriod));
        Positive(KeysReloadInterval, nameof(KeysReloadInterval));
        Positive(RetentionInterval, nameof(RetentionInterval));
        if (Store == HubStoreKind.Sqlite && string.IsNullOrWhiteSpace(SqlitePath))
        {
            throw new ArgumentException("SqlitePath is required for the SQLite store", nameof(SqlitePath));
        }

        if (IsCluster)
        {
            ValidateCluster();
        }

        if (ReconnectJitter.Min < TimeSpan.Zero || ReconnectJitter.Max < ReconnectJitter.Min)
        {
            throw new ArgumentException("ReconnectJitter must be 0 <= Min <= Max", nameof(ReconnectJitter));
        }
    }

    private void ValidateCluster()
    {
        foreach (var url in ClusterUrls)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("nats" or "tls" or "ws" or "wss") || uri.Port <= 0)
            {
                throw new ArgumentException($"ClusterUrls: '{url}' is not a NATS server URL such as nats://host:4222", nameof(ClusterUrls));
            }
        }

        if (string.IsNullOrWhiteSpace(ClusterStream) || ClusterStream.IndexOfAny([' ', '.', '*', '>', '/', '\\']) >= 0)
        {
            throw new ArgumentException($"ClusterStream '{ClusterStream}' must be a JetStream stream name (no spaces, '.', '*', '>', '/' or '\\')", nameof(ClusterStream));
        }

        if (string.IsNullOrWhiteSpace(ClusterSubject) || ClusterSubject.Contains(' ', StringComparison.Ordinal) || ClusterSubject.IndexOfAny(['*', '>']) >= 0)
        {
            throw new ArgumentException($"ClusterSubject '{ClusterSubject}' must be a plain NATS subject (no spaces or wildcards)", nameof(ClusterSubject));
        }

        if (ClusterReplicas is < 1 or > 5)
        {
            throw new ArgumentException("ClusterReplicas must be 1 to 5 (JetStream's limit)", nameof(ClusterReplicas));
        }

        if (string.IsNullOrWhiteSpace(ClusterNodeName))
        {
            throw new ArgumentException("ClusterNodeName is required in a cluster", nameof(ClusterNodeName));
        }

        if (ClusterAppendTimeout <= TimeSpan.Zero || ClusterStatusInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException("ClusterAppendTimeout and ClusterStatusInterval must be positive", ClusterAppendTimeout <= TimeSpan.Zero ? nameof(ClusterAppendTimeout) : nameof(ClusterStatusInterval));
        }
    }
}
