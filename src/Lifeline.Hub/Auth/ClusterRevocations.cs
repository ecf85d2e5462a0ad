using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace Lifeline.Hub.Auth;

/// <summary>
/// Revocations shared by every node of a cluster (docs/cluster.md, "Revocation"), through a replicated JetStream
/// key-value bucket: a key this node revokes (<c>POST /v1/keys/revoke</c>, a keys-file reload that removes or marks it
/// revoked) is put in the bucket under its id; every node watches the bucket and revokes what appears there, so the
/// key's sockets close on every node. The bucket outlives every node: a node that was down when a revoke happened reads
/// it when it starts, before it reports itself loaded (<see cref="Loaded"/>, which <c>/healthz</c> waits for).
/// <para>
/// Two tracked loops, both awaited by <see cref="DisposeAsync"/>: the watch (reconnects by itself; restarted after an
/// error) and the publisher, which puts each local revocation until the engine takes it, so a revocation made while
/// the engine is unreachable still reaches the other nodes once it is back. Thread-safe.
/// </para>
/// </summary>
internal sealed partial class ClusterRevocations : IAsyncDisposable
{
    /// <summary>The bucket's name: one per cluster (every node of a cluster shares its engine).</summary>
    public const string Bucket = "lifeline-revoked";

    /// <summary>How long to wait before retrying after the engine refused or could not be reached.</summary>
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(500);

    /// <summary>While the engine is away, one warning per this many failed tries (every 10 s), not one per try.</summary>
    private const int FailureLogEvery = 20;

    private readonly ApiKeyStore _keys;
    private readonly ClusterRevocationSettings? _settings;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    // Owned by the callers of Share (any thread): the queue's writer and the waits on each id.
    private readonly Channel<string> _pending = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _lock = new();
    private readonly Dictionary<string, TaskCompletionSource> _confirmations = new(StringComparer.Ordinal);

    // Owned by the loops; _stop signals both.
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private NatsConnection? _connection;
    private INatsKVStore? _store;
    private Task _watchLoop = Task.CompletedTask;
    private Task _publishLoop = Task.CompletedTask;
    private Task? _disposeTask;

    /// <summary>Shares revocations through the engine of <paramref name="settings"/>; <see langword="null"/> settings (a single hub, or no keys) share nothing and are loaded at once.</summary>
    public ClusterRevocations(ApiKeyStore keys, ClusterRevocationSettings? settings, TimeProvider time, ILogger logger)
    {
        _keys = keys;
        _settings = settings;
        _time = time;
        _logger = logger;
    }

    /// <summary>Whether every revocation in the bucket when this node started has been applied.</summary>
    public bool Loaded => _loaded.Task.IsCompleted;

    /// <summary>Completes once <see cref="Loaded"/>.</summary>
    public Task WhenLoaded => _loaded.Task;

    /// <summary>Whether this node shares revocations with a cluster.</summary>
    public bool Enabled => _settings is not null;

    /// <summary>Connects (in the background: an engine that is down now is retried) and starts watching and publishing.</summary>
    public void Start()
    {
        if (_settings is null)
        {
            _loaded.TrySetResult();
            return;
        }

        _connection = new NatsConnection(new NatsOpts
        {
            Url = string.Join(',', _settings.Urls),
            Name = $"lifeline-{_settings.NodeName}-revocations",
            RetryOnInitialConnect = true,
            MaxReconnectRetry = -1,
        });
        _keys.LocallyRevoked = Share;
        _watchLoop = WatchLoopAsync(_stop.Token);
        _publishLoop = PublishLoopAsync(_stop.Token);
    }

    /// <summary>
    /// Queues <paramref name="id"/> for the other nodes; the returned task completes once the engine has it (replicated
    /// like the log). Called for every local revocation; a caller may stop waiting, the queue keeps trying.
    /// </summary>
    public Task Share(string id)
    {
        Task confirmed;
        lock (_lock)
        {
            if (!_confirmations.TryGetValue(id, out var tcs))
            {
                tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _confirmations[id] = tcs;
                _pending.Writer.TryWrite(id);
            }

            confirmed = tcs.Task;
        }

        return confirmed;
    }

    public ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            _disposeTask ??= DisposeCoreAsync();
        }

        return new ValueTask(_disposeTask);
    }

    private async Task DisposeCoreAsync()
    {
        _keys.LocallyRevoked = null;
        _pending.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_watchLoop, _publishLoop).ConfigureAwait(false);
        if (_connection is not null)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    /// <summary>The bucket, created (or its settings updated) on first use; <see langword="null"/> until the engine answers.</summary>
    private async ValueTask<INatsKVStore> StoreAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _store) is { } store)
        {
            return store;
        }

        var kv = new NatsKVContext(new NatsJSContext(_connection!));
        store = await kv.CreateOrUpdateStoreAsync(
            new NatsKVConfig(Bucket)
            {
                Description = "Lifeline: ids of API keys revoked on any node (docs/cluster.md)",
                NumberOfReplicas = _settings!.Replicas,
                Storage = NatsKVStorageType.File,
                History = 1,
            },
            cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _store, store);
        return store;
    }

    private async Task WatchLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
                var opts = new NatsKVWatchOpts
                {
                    IgnoreDeletes = true,
                    OnNoData = _ =>
                    {
                        // An empty bucket: nothing to load.
                        MarkLoaded(0);
                        return ValueTask.FromResult(false);
                    },
                };
                await foreach (var entry in store.WatchAsync<byte[]>(opts: opts, cancellationToken: cancellationToken).ConfigureAwait(false))
                {
                    if (entry.Operation == NatsKVOperation.Put && ParseId(entry.Value) is { } id)
                    {
                        _keys.RevokeFromCluster(id);
                    }

                    if (entry.Delta == 0)
                    {
                        MarkLoaded(_keys.ClusterRevokedCount);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogWatchFailed(_logger, e, RetryDelay.TotalMilliseconds);
                await DelayAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task PublishLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var id in _pending.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
                        await store.PutAsync(KeyFor(id), Value(id), cancellationToken: cancellationToken).ConfigureAwait(false);
                        break;
                    }
                    catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                    {
                        if (attempt % FailureLogEvery == 1)
                        {
                            LogShareFailed(_logger, e, id, RetryDelay.TotalMilliseconds);
                        }

                        await DelayAsync(cancellationToken).ConfigureAwait(false);
                    }
                }

                LogShared(_logger, id);
                TaskCompletionSource? done;
                lock (_lock)
                {
                    _confirmations.Remove(id, out done);
                }

                done?.TrySetResult();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // At this point: the hub is stopping; a revocation still queued was applied on this node only.
        }
    }

    private void MarkLoaded(int count)
    {
        if (_loaded.TrySetResult())
        {
            LogLoaded(_logger, count);
        }
    }

    private async Task DelayAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(RetryDelay, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// The bucket key of a key id: base64url of its UTF-8 (a key id may hold characters a NATS subject may not). The
    /// value carries the id in clear, <c>{"id":"..."}</c>, which is what nodes read.
    /// </summary>
    internal static string KeyFor(string id) => Convert.ToBase64String(Encoding.UTF8.GetBytes(id)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    internal static byte[] Value(string id) => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["id"] = id });

    internal static string? ParseId(byte[]? value)
    {
        if (value is null)
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(value);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String
                ? id.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
