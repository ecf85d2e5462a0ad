using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Lifeline.Hub.Auth;

/// <summary>
/// The keys the hub accepts (docs/hub.md, "Keys"): from the keys file, reloaded every
/// <see cref="HubOptions.KeysReloadInterval"/> when its text changes, and from the environment variable.
/// A key missing from a reload, marked revoked, expired, or revoked by <c>POST /v1/keys/revoke</c> is revoked:
/// its <see cref="ApiKey.Revoked"/> fires and the connections authenticated by it close with 4401.
/// Keys are looked up by SHA-256 of the secret. Thread-safe: the key map is replaced whole.
/// </summary>
internal sealed partial class ApiKeyStore : IAsyncDisposable
{
    private readonly HubOptions _options;
    private readonly ILogger<ApiKeyStore> _logger;
    private readonly Lock _lock = new();
    private readonly HashSet<string> _revokedIds = new(StringComparer.Ordinal);
    private readonly HashSet<string> _clusterRevokedIds = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private Dictionary<string, ApiKey> _byHash = new(StringComparer.Ordinal);
    private string? _fileText;
    private Task _reloadLoop = Task.CompletedTask;
    private bool _disposed;

    public ApiKeyStore(IOptions<HubOptions> options, ILogger<ApiKeyStore> logger)
    {
        _options = options.Value;
        _logger = logger;
    }

    public int Count => Volatile.Read(ref _byHash).Count;

    /// <summary>
    /// Called with the id of every key this node revokes by itself (<c>POST /v1/keys/revoke</c>, a keys-file reload that
    /// removes the key or marks it revoked; not an expiry, which every node sees by itself, nor a change of scopes);
    /// a cluster shares it with the other nodes (<see cref="ClusterRevocations"/>). Set before <see cref="Start"/>.
    /// </summary>
    internal Func<string, Task>? LocallyRevoked { get; set; }

    /// <summary>How many key ids other nodes of the cluster revoked (applied by <see cref="RevokeFromCluster"/>).</summary>
    internal int ClusterRevokedCount
    {
        get
        {
            lock (_lock)
            {
                return _clusterRevokedIds.Count;
            }
        }
    }

    /// <summary>Loads the keys and starts the reload loop.</summary>
    /// <exception cref="KeysFileException">The keys file cannot be loaded: the hub must not start without its keys.</exception>
    public void Start()
    {
        Reload(atStart: true);
        if (_options.KeysFile is not null)
        {
            _reloadLoop = ReloadLoopAsync(_stop.Token);
        }
    }

    /// <summary>Finds an unrevoked, unexpired key by its secret.</summary>
    public ApiKey? Find(string secret)
    {
        var hash = Hash(secret);
        if (!Volatile.Read(ref _byHash).TryGetValue(hash, out var key) || key.IsRevoked)
        {
            return null;
        }

        if (key.Expires is { } expires && expires <= _options.TimeProvider.GetUtcNow())
        {
            key.Revoke();
            return null;
        }

        return key;
    }

    /// <summary>
    /// Revokes the key with <paramref name="id"/> until the hub restarts (in a cluster, on every node and for as long as
    /// the cluster's bucket keeps it); <see langword="false"/> when no such key exists. <paramref name="shared"/> is the
    /// cluster's confirmation (<see cref="LocallyRevoked"/>), or <see langword="null"/> for a single hub.
    /// </summary>
    public bool Revoke(string id, out Task? shared)
    {
        ApiKey? key;
        lock (_lock)
        {
            _revokedIds.Add(id);
            key = _byHash.Values.FirstOrDefault(k => k.Id == id);
        }

        shared = null;
        if (key is null)
        {
            return false;
        }

        LogRevoked(_logger, id);
        key.Revoke();
        shared = LocallyRevoked?.Invoke(id);
        return true;
    }

    /// <summary>Revokes the key with <paramref name="id"/> because a node of the cluster did; nothing is shared back.</summary>
    internal void RevokeFromCluster(string id)
    {
        ApiKey? key;
        lock (_lock)
        {
            _revokedIds.Add(id);
            _clusterRevokedIds.Add(id);
            key = _byHash.Values.FirstOrDefault(k => k.Id == id);
        }

        if (key is { IsRevoked: false })
        {
            LogRevokedByCluster(_logger, id);
            key.Revoke();
        }
    }

    /// <summary>Stops the reload loop and awaits it. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _reloadLoop.ConfigureAwait(false);
        _stop.Dispose();
    }

    /// <summary>
    /// Loads the file and the environment; revokes keys that disappeared or are marked revoked. A file that cannot be
    /// loaded throws <see cref="KeysFileException"/> <paramref name="atStart"/>, and later keeps the keys loaded before.
    /// </summary>
    internal void Reload(bool atStart = false)
    {
        var loaded = new List<(string Id, string Secret, HubScopes Scopes, DateTimeOffset? Expires, bool Revoked)>();
        if (_options.KeysEnvironmentVariable is { } variable && Environment.GetEnvironmentVariable(variable) is { Length: > 0 } env)
        {
            loaded.AddRange(ParseEnvironment(env));
        }

        if (_options.KeysFile is { } path)
        {
            try
            {
                (_fileText, var keys) = LoadFile(path);
                loaded.AddRange(keys);
            }
            catch (KeysFileException e) when (!atStart)
            {
                // A half-written or invalid file keeps the keys that were loaded before. At start there are none, and
                // starting would refuse every request with 401 (issue 11): the exception stops the start.
                LogKeysFileInvalid(_logger, e.InnerException!, path);
                if (_byHash.Count > 0)
                {
                    return;
                }
            }
        }

        var now = _options.TimeProvider.GetUtcNow();
        List<ApiKey> revoke = [];
        List<string> revokedByFile = [];
        lock (_lock)
        {
            var next = new Dictionary<string, ApiKey>(StringComparer.Ordinal);
            foreach (var k in loaded)
            {
                var hash = Hash(k.Secret);
                if (k.Revoked || _revokedIds.Contains(k.Id) || (k.Expires is { } exp && exp <= now))
                {
                    continue;
                }

                next[hash] = _byHash.TryGetValue(hash, out var old) && old.Scopes == k.Scopes && old.Id == k.Id && old.Expires == k.Expires
                    ? old
                    : new ApiKey(k.Id, k.Scopes, k.Expires);
            }

            revoke.AddRange(_byHash.Where(kv => !next.TryGetValue(kv.Key, out var n) || n != kv.Value).Select(kv => kv.Value));
            Volatile.Write(ref _byHash, next);

            // Shared with a cluster: keys the file removed or marks revoked (a key whose scopes or expiry changed is
            // replaced, not revoked, and an expired key expires on every node by itself).
            var stillValid = loaded.Where(k => !k.Revoked).Select(k => k.Id).ToHashSet(StringComparer.Ordinal);
            revokedByFile.AddRange(revoke.Where(k => !stillValid.Contains(k.Id) && !_clusterRevokedIds.Contains(k.Id)).Select(k => k.Id).Distinct());
        }

        foreach (var key in revoke)
        {
            LogRevoked(_logger, key.Id);
            key.Revoke();
        }

        if (LocallyRevoked is { } share)
        {
            foreach (var id in revokedByFile)
            {
                _ = share(id); // the cluster's queue retries until the engine has it; nobody waits here
            }
        }

        LogLoaded(_logger, _byHash.Count);
    }

    private async Task ReloadLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.KeysReloadInterval, _options.TimeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                string? text = null;
                try
                {
                    text = await File.ReadAllTextAsync(_options.KeysFile!, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Missing for a moment (replaced by rename): try again next tick.
                }

                if (text is not null && text != _fileText)
                {
                    Reload();
                }

                var now = _options.TimeProvider.GetUtcNow();
                foreach (var key in Volatile.Read(ref _byHash).Values)
                {
                    if (key.Expires is { } exp && exp <= now && !key.IsRevoked)
                    {
                        key.Revoke();
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Reads and parses the keys file.</summary>
    /// <exception cref="KeysFileException">The file is missing, unreadable, not JSON or not of the documented shape.</exception>
    internal static (string Text, List<(string, string, HubScopes, DateTimeOffset?, bool)> Keys) LoadFile(string path)
    {
        try
        {
            var text = File.ReadAllText(path);
            return (text, ParseFile(text).ToList());
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
            throw new KeysFileException(path, e);
        }
    }

    internal static IEnumerable<(string, string, HubScopes, DateTimeOffset?, bool)> ParseFile(string text)
    {
        using var doc = JsonDocument.Parse(text);
        var i = 0;
        foreach (var k in doc.RootElement.GetProperty("keys").EnumerateArray())
        {
            i++;
            var secret = k.GetProperty("key").GetString() ?? throw new FormatException("key is required");
            var id = k.TryGetProperty("id", out var idProp) ? idProp.GetString() ?? $"key-{i}" : $"key-{i}";
            var scopes = HubScopes.None;
            foreach (var s in k.GetProperty("scopes").EnumerateArray())
            {
                scopes |= ParseScope(s.GetString());
            }

            DateTimeOffset? expires = k.TryGetProperty("expires", out var e) && e.ValueKind == JsonValueKind.String ? e.GetDateTimeOffset() : null;
            var revoked = k.TryGetProperty("revoked", out var r) && r.ValueKind == JsonValueKind.True;
            yield return (id, secret, scopes, expires, revoked);
        }
    }

    internal static IEnumerable<(string, string, HubScopes, DateTimeOffset?, bool)> ParseEnvironment(string text)
    {
        var i = 0;
        foreach (var part in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            i++;
            var eq = part.LastIndexOf('=');
            if (eq <= 0)
            {
                continue;
            }

            var scopes = HubScopes.None;
            foreach (var s in part[(eq + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                scopes |= ParseScope(s);
            }

            yield return ($"env-{i}", part[..eq], scopes, null, false);
        }
    }

    private static HubScopes ParseScope(string? s) => s switch
    {
        "read" => HubScopes.Read,
        "write" => HubScopes.Write,
        "admin" => HubScopes.Admin,
        _ => throw new FormatException($"unknown scope '{s}' (expected read, write or admin)"),
    };

    private static string Hash(string secret) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    [LoggerMessage(EventId = 50, Level = LogLevel.Information, Message = "Loaded {Count} API keys")]
    private static partial void LogLoaded(ILogger logger, int count);

    [LoggerMessage(EventId = 51, Level = LogLevel.Warning, Message = "API key {Id} revoked: its connections close with 4401")]
    private static partial void LogRevoked(ILogger logger, string id);

    [LoggerMessage(EventId = 53, Level = LogLevel.Warning, Message = "API key {Id} revoked by another node of the cluster: its connections close with 4401")]
    private static partial void LogRevokedByCluster(ILogger logger, string id);

    [LoggerMessage(EventId = 52, Level = LogLevel.Error, Message = "Keys file {Path} is invalid; keeping the keys loaded before")]
    private static partial void LogKeysFileInvalid(ILogger logger, Exception exception, string path);
}
