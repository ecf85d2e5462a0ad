using System.Collections.Concurrent;
using Lifeline.Protocol;
using Microsoft.Data.Sqlite;

namespace Lifeline.Hub.Storage;

/// <summary>
/// The durable store: one SQLite file in WAL mode. Appends come from the hub's single writer loop, one transaction per
/// batch on the one write connection; reads use their own connections (kept in a small pool of ours, since
/// <c>Pooling=False</c> keeps Microsoft.Data.Sqlite's prune timer from running). With <c>synchronous=NORMAL</c> a
/// committed batch survives a killed process; <c>FULL</c> also survives power loss. Retention by size runs after
/// appends, by age when the hub asks. The answers of idempotent ingests are kept in the table <c>idempotency</c>,
/// committed with their entries and trimmed by <paramref name="idempotency"/> (default: 10,000 keys, 10 minutes), so a
/// retry after a restart (crash or graceful) is answered, not stored again. Thread-safe as the interface says.
/// </summary>
internal sealed class SqliteLogStore(string path, bool synchronousFull, long? maxBytes, IdempotencyLimits? idempotency = null) : ILogStore
{
    /// <summary>
    /// Keys appended between two trims of the <c>idempotency</c> table: a trim walks the newest <c>Capacity</c> rows, so
    /// trimming once per this many keys keeps its cost per key small; the table holds at most this many more rows than the
    /// limits need.
    /// </summary>
    internal const int KeysPerTrim = 1024;

    private readonly IdempotencyLimits _keyLimits = idempotency ?? new IdempotencyLimits(10_000, TimeSpan.FromMinutes(10));
    private int _keysSinceTrim;
    /// <summary>
    /// The page size of a new file (SQLite's default is 4,096): a quarter of the WAL frames, page writes and b-tree
    /// page splits per entry appended, at the cost of up to 16 KiB written to the WAL for a commit of a lone entry. It takes effect only
    /// when the file is created; an existing file keeps its page size.
    /// </summary>
    internal const int PageSize = 16384;

    private readonly string _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString();
    private readonly ConcurrentBag<SqliteConnection> _readers = [];
    private SqliteConnection? _writer;
    private SqliteEntryInserter? _insert;
    private long _lastId;
    private long _oldestId = 1;
    private long _count;
    private long _bytes;
    private long _position;

    public long LastId => Interlocked.Read(ref _lastId);

    public long OldestId => Interlocked.Read(ref _oldestId);

    public long Count => Interlocked.Read(ref _count);

    public long Bytes => Interlocked.Read(ref _bytes);

    public long Position => Interlocked.Read(ref _position);

    public async ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        _writer = new SqliteConnection(_connectionString);
        await _writer.OpenAsync(cancellationToken).ConfigureAwait(false);
        Execute($"""
            PRAGMA page_size={PageSize};
            PRAGMA journal_mode=WAL;
            PRAGMA synchronous={(synchronousFull ? "FULL" : "NORMAL")};
            CREATE TABLE IF NOT EXISTS entries (
                id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, received INTEGER NOT NULL, level INTEGER NOT NULL,
                source TEXT NOT NULL, message TEXT NOT NULL, json BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS idempotency (
                seq INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, count INTEGER NOT NULL, first_id INTEGER NOT NULL,
                last_id INTEGER NOT NULL, received INTEGER NOT NULL);
            """);
        using (var cmd = _writer.CreateCommand())
        {
            cmd.CommandText = "SELECT COALESCE(MIN(id), 0), COALESCE(MAX(id), 0), COUNT(*), COALESCE(SUM(LENGTH(json)), 0), (SELECT value FROM meta WHERE key = 'lastId'), (SELECT value FROM meta WHERE key = 'position') FROM entries";
            using var r = cmd.ExecuteReader();
            r.Read();
            var min = r.GetInt64(0);
            var max = r.GetInt64(1);
            var metaLast = r.IsDBNull(4) ? 0 : r.GetInt64(4);

            // Ids are never reused: when retention emptied the table, meta remembers the last id.
            _lastId = Math.Max(max, metaLast);
            _count = r.GetInt64(2);
            _bytes = r.GetInt64(3);
            _oldestId = _count == 0 ? _lastId + 1 : min;
            _position = r.IsDBNull(5) ? 0 : r.GetInt64(5);
        }

        _insert = new SqliteEntryInserter(_writer);
    }

    public ValueTask<IReadOnlyList<IdempotencyRecord>> ReadIdempotencyKeysAsync(CancellationToken cancellationToken)
    {
        using var cmd = _writer!.CreateCommand();
        cmd.CommandText = "SELECT key, count, first_id, last_id, received FROM idempotency ORDER BY seq";
        using var r = cmd.ExecuteReader();
        var records = new List<IdempotencyRecord>();
        while (r.Read())
        {
            records.Add(new IdempotencyRecord(r.GetString(0), new PublishResult(r.GetInt32(1), r.GetInt64(2), r.GetInt64(3)), r.GetInt64(4)));
        }

        return ValueTask.FromResult<IReadOnlyList<IdempotencyRecord>>(records);
    }

    public ValueTask AppendAsync(IReadOnlyList<StoredEntry> entries, IReadOnlyList<IdempotencyRecord> keys, CancellationToken cancellationToken) =>
        Append(entries, keys, null);

    public ValueTask AppendMirroredAsync(IReadOnlyList<StoredEntry> entries, IReadOnlyList<IdempotencyRecord> keys, long position, CancellationToken cancellationToken) =>
        Append(entries, keys, position);

    public ValueTask DeleteBeforeAsync(long keepFromId, CancellationToken cancellationToken)
    {
        if (keepFromId > LastId + 1)
        {
            // Ids this mirror never had: remembered as used, like ids retention deleted.
            Interlocked.Exchange(ref _lastId, keepFromId - 1);
        }

        DeleteBefore(keepFromId);
        return ValueTask.CompletedTask;
    }

    private ValueTask Append(IReadOnlyList<StoredEntry> entries, IReadOnlyList<IdempotencyRecord> keys, long? position)
    {
        // Committed when Append returns; the positions below move only then, so a failed batch leaves them as they were.
        _insert!.Append(entries, keys, position);
        if (position is { } p)
        {
            Interlocked.Exchange(ref _position, p);
        }

        if ((_keysSinceTrim += keys.Count) >= KeysPerTrim)
        {
            ForgetKeys(keys[^1].ReceivedTicks);
        }

        long bytes = 0;
        foreach (var e in entries)
        {
            bytes += e.Json.Length;
        }

        Interlocked.Add(ref _bytes, bytes);
        Interlocked.Add(ref _count, entries.Count);
        if (Interlocked.Read(ref _count) == entries.Count)
        {
            Interlocked.Exchange(ref _oldestId, entries[0].Id);
        }

        Interlocked.Exchange(ref _lastId, entries[^1].Id);

        if (maxBytes is { } max && Bytes > max)
        {
            DeleteOldestBeyond(max);
        }

        return ValueTask.CompletedTask;
    }

    public async ValueTask<long> ReadAsync(long afterId, int max, List<StoredEntry> into, CancellationToken cancellationToken)
    {
        if (!_readers.TryTake(out var connection))
        {
            connection = new SqliteConnection(_connectionString);
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            // One read transaction: the oldest id and the rows come from the same snapshot.
            using var tx = connection.BeginTransaction(deferred: true);
            using var cmd = connection.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = "SELECT id, ts, received, level, source, message, json FROM entries WHERE id > $after ORDER BY id LIMIT $max";
            cmd.Parameters.AddWithValue("$after", afterId);
            cmd.Parameters.AddWithValue("$max", max);
            using (var r = cmd.ExecuteReader())
            {
                while (r.Read())
                {
                    // Text columns decode with U+FFFD for bytes that are not UTF-8; the JSON is checked (StoredJson).
                    var (id, ts, level, source, message) = (r.GetInt64(0), new DateTimeOffset(r.GetInt64(1), TimeSpan.Zero), (LogEntryLevel)r.GetInt32(3), r.GetString(4), r.GetString(5));
                    into.Add(new StoredEntry(id, ts, r.GetInt64(2), level, source, message, StoredJson.Readable((byte[])r.GetValue(6), id, ts, level, source, message)));
                }
            }

            using var oldest = connection.CreateCommand();
            oldest.Transaction = tx;
            oldest.CommandText = "SELECT MIN(id) FROM entries";
            var min = oldest.ExecuteScalar();
            tx.Commit();
            return min is long m ? m : LastId + 1;
        }
        finally
        {
            _readers.Add(connection);
        }
    }

    public ValueTask EnforceRetentionAsync(long receivedBeforeTicks, CancellationToken cancellationToken)
    {
        using var find = _writer!.CreateCommand();

        // Receipt order follows id order: the scan from the oldest stops at the first entry to keep.
        find.CommandText = "SELECT id FROM entries WHERE received >= $before ORDER BY id LIMIT 1";
        find.Parameters.AddWithValue("$before", receivedBeforeTicks);
        var keepFrom = find.ExecuteScalar() is long id ? id : LastId + 1;
        DeleteBefore(keepFrom);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        _insert?.Dispose();
        if (_writer is not null)
        {
            await _writer.DisposeAsync().ConfigureAwait(false);
        }

        while (_readers.TryTake(out var r))
        {
            await r.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Deletes the idempotency answers <see cref="IdempotencyLimits"/> lets go of at <paramref name="nowTicks"/> (the same rule as the hub's cache).</summary>
    private void ForgetKeys(long nowTicks)
    {
        _keysSinceTrim = 0;
        using var cmd = _writer!.CreateCommand();

        // Beyond the newest Capacity keys (the subquery is NULL while there are no more), and older than the window or
        // beyond the hard cap (by seq, which only grows: approximate, as a bound on size needs no more).
        cmd.CommandText = """
            DELETE FROM idempotency
            WHERE seq <= (SELECT seq FROM idempotency ORDER BY seq DESC LIMIT 1 OFFSET $capacity)
              AND (received < $cutoff OR seq <= (SELECT MAX(seq) FROM idempotency) - $hardCap)
            """;
        cmd.Parameters.AddWithValue("$capacity", _keyLimits.Capacity);
        cmd.Parameters.AddWithValue("$cutoff", nowTicks - _keyLimits.Window.Ticks);
        cmd.Parameters.AddWithValue("$hardCap", _keyLimits.HardCap);
        try
        {
            cmd.ExecuteNonQuery();
        }
        catch (SqliteException)
        {
            // The batch is committed, so this must not fail the append; the table only keeps more for longer, and the
            // next trim tries again.
        }
    }

    private void DeleteOldestBeyond(long max)
    {
        using var cmd = _writer!.CreateCommand();

        // Walk from the oldest until the bytes left fit.
        cmd.CommandText = "SELECT id, LENGTH(json) FROM entries ORDER BY id";
        var excess = Bytes - max;
        long keepFrom = LastId + 1;
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                if (excess <= 0)
                {
                    keepFrom = r.GetInt64(0);
                    break;
                }

                excess -= r.GetInt64(1);
            }
        }

        DeleteBefore(keepFrom);
    }

    private void DeleteBefore(long keepFrom)
    {
        if (keepFrom <= OldestId)
        {
            return;
        }

        using var tx = _writer!.BeginTransaction();
        using var cmd = _writer.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = """
            INSERT INTO meta (key, value) VALUES ('lastId', $last) ON CONFLICT(key) DO UPDATE SET value = excluded.value;
            DELETE FROM entries WHERE id < $keep;
            SELECT COUNT(*), COALESCE(SUM(LENGTH(json)), 0) FROM entries;
            """;
        cmd.Parameters.AddWithValue("$keep", keepFrom);
        cmd.Parameters.AddWithValue("$last", LastId);
        using (var r = cmd.ExecuteReader())
        {
            do
            {
                if (r.FieldCount == 2 && r.Read())
                {
                    Interlocked.Exchange(ref _count, r.GetInt64(0));
                    Interlocked.Exchange(ref _bytes, r.GetInt64(1));
                }
            }
            while (r.NextResult());
        }

        tx.Commit();
        Interlocked.Exchange(ref _oldestId, keepFrom);
    }

    private void Execute(string sql)
    {
        using var cmd = _writer!.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
