using System.Text;
using Lifeline.Hub.Storage;
using Lifeline.Protocol;
using Microsoft.Data.Sqlite;

namespace Lifeline.Hub.Tests.Storage;

/// <summary>The store's positional, multi-row INSERT path (SqliteEntryInserter) against a real SQLite file.</summary>
public sealed class SqliteAppendTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("lifeline-append-");

    private string Db => Path.Combine(_dir.FullName, "hub.db");

    public void Dispose() => _dir.Delete(recursive: true);

    [Theory]
    [InlineData(1)]
    [InlineData(SqliteEntryInserter.RowsPerStatement - 1)]
    [InlineData(SqliteEntryInserter.RowsPerStatement)]
    [InlineData((2 * SqliteEntryInserter.RowsPerStatement) + 7)]
    public async Task Append_AnyBatchSize_ReadsBackEveryFieldExactly(int count)
    {
        var entries = Make(1, count);
        await using (var store = await OpenAsync())
        {
            await store.AppendAsync(entries, [], CancellationToken.None);
            Assert.Equal(count, store.Count);
            Assert.Equal(entries.Sum(e => (long)e.Json.Length), store.Bytes);
        }

        // Reopened: what was read back comes from the file, not from memory.
        await using var again = await OpenAsync();
        var read = new List<StoredEntry>();
        Assert.Equal(1, await again.ReadAsync(0, 10_000, read, CancellationToken.None));
        AssertSame(entries, read);
    }

    [Fact]
    public async Task Append_EmptyNonAsciiAndNulText_IsStoredAsText()
    {
        var entries = new List<StoredEntry>
        {
            Entry(1, string.Empty, string.Empty),
            Entry(2, "Zürich ✓ 𝄞", "naïve — \u65e5\u672c"),
            Entry(3, "a\0b", "before\0after"),
            Entry(4, new string('x', 5000), new string('é', 3000)),
        };
        await using (var store = await OpenAsync())
        {
            await store.AppendAsync(entries, [], CancellationToken.None);
        }

        var read = new List<StoredEntry>();
        await using (var again = await OpenAsync())
        {
            await again.ReadAsync(0, 100, read, CancellationToken.None);
        }

        AssertSame(entries, read);
        Assert.Equal(4L, Scalar("SELECT COUNT(*) FROM entries WHERE typeof(source) = 'text' AND typeof(message) = 'text' AND typeof(json) = 'blob'"));
    }

    [Fact]
    public async Task Append_FailingRowInABatch_StoresNothingOfIt_AndTheStoreGoesOn()
    {
        await using var store = await OpenAsync();
        await store.AppendAsync(Make(1, 10), [], CancellationToken.None);

        // Id 5 exists: the primary key fails the second multi-row statement; the whole batch rolls back.
        var bad = Make(11, 70);
        bad[40] = Entry(5, "dup", "dup");
        var e = await Assert.ThrowsAsync<SqliteException>(async () => await store.AppendAsync(bad, [], CancellationToken.None));
        Assert.Contains("UNIQUE constraint failed", e.Message, StringComparison.Ordinal);
        Assert.Equal(10, store.LastId);
        Assert.Equal(10, store.Count);

        await store.AppendAsync(Make(11, 70), [], CancellationToken.None);
        var read = new List<StoredEntry>();
        await store.ReadAsync(0, 100, read, CancellationToken.None);
        Assert.Equal(Enumerable.Range(1, 80).Select(i => (long)i), read.Select(e => e.Id));
    }

    [Fact]
    public async Task Open_NewFile_GetsTheStorePageSize()
    {
        await using (var store = await OpenAsync())
        {
            await store.AppendAsync(Make(1, 10), [], CancellationToken.None);
        }

        Assert.Equal((long)SqliteLogStore.PageSize, Scalar("PRAGMA page_size"));
        Assert.Equal("wal", Scalar("PRAGMA journal_mode"));
    }

    [Fact]
    public async Task Open_FileWithSQLitesDefaultPageSize_KeepsIt_ReadsAndAppends()
    {
        // A file as earlier versions made it: default 4,096-byte pages, same tables, ids 1-3 stored.
        using (var connection = new SqliteConnection($"Data Source={Db};Pooling=False"))
        {
            connection.Open();
            using var cmd = connection.CreateCommand();
            cmd.CommandText = """
                PRAGMA journal_mode=WAL;
                CREATE TABLE entries (
                    id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, received INTEGER NOT NULL, level INTEGER NOT NULL,
                    source TEXT NOT NULL, message TEXT NOT NULL, json BLOB NOT NULL);
                CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
                INSERT INTO entries VALUES (1, 10, 11, 2, 'old', 'one', x'7B7D'), (2, 20, 21, 3, 'old', 'two', x'7B7D'), (3, 30, 31, 4, 'old', 'three', x'7B7D');
                """;
            cmd.ExecuteNonQuery();
        }

        await using (var store = await OpenAsync())
        {
            Assert.Equal((1L, 3L, 3L), (store.OldestId, store.LastId, store.Count));
            await store.AppendAsync(Make(4, 100), [], CancellationToken.None);
            var read = new List<StoredEntry>();
            await store.ReadAsync(0, 1000, read, CancellationToken.None);
            Assert.Equal(["one", "two", "three"], read.Take(3).Select(e => e.Message));
            AssertSame(Make(4, 100), read[3..]);
        }

        Assert.Equal(4096L, Scalar("PRAGMA page_size"));
    }

    private object? Scalar(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={Db};Pooling=False");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }

    private async Task<SqliteLogStore> OpenAsync()
    {
        var store = new SqliteLogStore(Db, synchronousFull: false, maxBytes: null);
        await store.OpenAsync(CancellationToken.None);
        return store;
    }

    private static List<StoredEntry> Make(long first, int count) =>
        [.. Enumerable.Range(0, count).Select(i => Entry(first + i, $"src{i % 3}", $"message {first + i}"))];

    private static StoredEntry Entry(long id, string source, string message) =>
        new(id, new DateTimeOffset(2026, 12, 2, 0, 0, 0, TimeSpan.Zero).AddTicks(id), 1000 + id, (LogEntryLevel)(id % 6), source, message, Encoding.UTF8.GetBytes($$"""{"id":{{id}}}"""));

    private static void AssertSame(List<StoredEntry> expected, List<StoredEntry> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            var (e, a) = (expected[i], actual[i]);
            Assert.Equal((e.Id, e.Timestamp, e.ReceivedTicks, e.Level, e.Source, e.Message), (a.Id, a.Timestamp, a.ReceivedTicks, a.Level, a.Source, a.Message));
            Assert.Equal(e.Json, a.Json);
        }
    }
}
