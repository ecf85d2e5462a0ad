using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Lifeline.Hub.Storage;

/// <summary>
/// Inserts entries through SQLite's own prepared statements, bound by position: Microsoft.Data.Sqlite's
/// <c>ExecuteNonQuery</c> looks every parameter up by name, boxes every value and allocates a UTF-8 copy of every
/// string on each call, which was most of the store's time per entry, and ran BEGIN and COMMIT through a new command
/// each time. Full groups of <see cref="RowsPerStatement"/> go through one multi-row INSERT, the rest one row at a
/// time, between prepared BEGIN and COMMIT statements; the idempotency answers of the batch go in the same
/// transaction, so a committed batch always has its answer on disk (a retry after a crash replays it). Not thread-safe: the store's single writer uses it.
/// </summary>
internal sealed class SqliteEntryInserter : IDisposable
{
    /// <summary>Rows per multi-row INSERT: 7 parameters each, far under SQLite's 32,766 variable limit.</summary>
    public const int RowsPerStatement = 32;

    private const int Columns = 7;
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _begin;
    private readonly sqlite3_stmt _commit;
    private readonly sqlite3_stmt _rollback;
    private readonly sqlite3_stmt _many;
    private readonly sqlite3_stmt _one;
    private readonly sqlite3_stmt _key;
    private readonly sqlite3_stmt _position;
    private byte[] _utf8 = new byte[256];

    public SqliteEntryInserter(SqliteConnection connection)
    {
        _db = connection.Handle!;
        var prepared = new List<sqlite3_stmt>();
        try
        {
            _begin = Prepare("BEGIN IMMEDIATE", prepared);
            _commit = Prepare("COMMIT", prepared);
            _rollback = Prepare("ROLLBACK", prepared);
            _one = Prepare(InsertSql(1), prepared);
            _many = Prepare(InsertSql(RowsPerStatement), prepared);

            // A key the hub forgot may come again: its new answer replaces the old one (and moves to the newest end).
            _key = Prepare("INSERT OR REPLACE INTO idempotency (key, count, first_id, last_id, received) VALUES (?, ?, ?, ?, ?)", prepared);
            _position = Prepare("INSERT INTO meta (key, value) VALUES ('position', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", prepared);
        }
        catch
        {
            prepared.ForEach(p => p.Dispose());
            throw;
        }
    }

    /// <summary>
    /// Appends the entries, the idempotency answers and (for a mirror) the log position in one transaction: when this returns they are committed (and as
    /// durable as the connection's <c>synchronous</c> setting makes a commit); when it throws (<see cref="SqliteException"/>
    /// from SQLite), none is.
    /// </summary>
    public void Append(IReadOnlyList<StoredEntry> entries, IReadOnlyList<IdempotencyRecord> keys, long? position = null)
    {
        Step(_begin);
        try
        {
            Insert(entries);
            foreach (var k in keys)
            {
                BindText(_key, 1, k.Key);
                Check(raw.sqlite3_bind_int(_key, 2, k.Result.Count));
                Check(raw.sqlite3_bind_int64(_key, 3, k.Result.FirstId));
                Check(raw.sqlite3_bind_int64(_key, 4, k.Result.LastId));
                Check(raw.sqlite3_bind_int64(_key, 5, k.ReceivedTicks));
                Step(_key);
            }

            if (position is { } p)
            {
                Check(raw.sqlite3_bind_int64(_position, 1, p));
                Step(_position);
            }

            Step(_commit);
        }
        catch
        {
            // Whatever failed, no transaction may stay open (the next BEGIN would fail); SQLite rolls some errors
            // back by itself.
            if (raw.sqlite3_get_autocommit(_db) == 0)
            {
                raw.sqlite3_step(_rollback);
                raw.sqlite3_reset(_rollback);
            }

            throw;
        }
    }

    private void Insert(IReadOnlyList<StoredEntry> entries)
    {
        var i = 0;
        for (; i + RowsPerStatement <= entries.Count; i += RowsPerStatement)
        {
            for (var row = 0; row < RowsPerStatement; row++)
            {
                Bind(_many, row * Columns, entries[i + row]);
            }

            Step(_many);
        }

        for (; i < entries.Count; i++)
        {
            Bind(_one, 0, entries[i]);
            Step(_one);
        }
    }

    public void Dispose()
    {
        foreach (var stmt in new[] { _begin, _commit, _rollback, _one, _many, _key, _position })
        {
            stmt.Dispose();
        }
    }

    private static string InsertSql(int rows) =>
        $"INSERT INTO entries (id, ts, received, level, source, message, json) VALUES {string.Join(", ", Enumerable.Repeat("(?, ?, ?, ?, ?, ?, ?)", rows))}";

    private sqlite3_stmt Prepare(string sql, List<sqlite3_stmt> prepared)
    {
        Check(raw.sqlite3_prepare_v2(_db, sql, out var stmt));
        prepared.Add(stmt);
        return stmt;
    }

    private void Bind(sqlite3_stmt stmt, int offset, StoredEntry e)
    {
        // Parameter indexes are 1-based. Text and blobs are bound SQLITE_TRANSIENT (SQLite copies them), so the one
        // UTF-8 buffer is reused for every string.
        Check(raw.sqlite3_bind_int64(stmt, offset + 1, e.Id));
        Check(raw.sqlite3_bind_int64(stmt, offset + 2, e.Timestamp.UtcTicks));
        Check(raw.sqlite3_bind_int64(stmt, offset + 3, e.ReceivedTicks));
        Check(raw.sqlite3_bind_int(stmt, offset + 4, (int)e.Level));
        BindText(stmt, offset + 5, e.Source);
        BindText(stmt, offset + 6, e.Message);

        // An empty span pins to a null pointer, which SQLite binds as NULL: empty values bind explicitly.
        Check(e.Json.Length == 0 ? raw.sqlite3_bind_zeroblob(stmt, offset + 7, 0) : raw.sqlite3_bind_blob(stmt, offset + 7, e.Json));
    }

    private void BindText(sqlite3_stmt stmt, int index, string s)
    {
        // Bound with its length, so a U+0000 inside the text is kept.
        Check(s.Length == 0 ? raw.sqlite3_bind_text(stmt, index, string.Empty) : raw.sqlite3_bind_text(stmt, index, Utf8(s)));
    }

    private ReadOnlySpan<byte> Utf8(string s)
    {
        var max = Encoding.UTF8.GetMaxByteCount(s.Length);
        if (max > _utf8.Length)
        {
            _utf8 = new byte[Math.Max(max, _utf8.Length * 2)];
        }

        return _utf8.AsSpan(0, Encoding.UTF8.GetBytes(s, _utf8));
    }

    private void Step(sqlite3_stmt stmt)
    {
        var rc = raw.sqlite3_step(stmt);

        // Reset at once, success or not: a statement left mid-step would hold its read of the table.
        raw.sqlite3_reset(stmt);
        if (rc != raw.SQLITE_DONE)
        {
            SqliteException.ThrowExceptionForRC(rc, _db);
        }
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, _db);
        }
    }
}
