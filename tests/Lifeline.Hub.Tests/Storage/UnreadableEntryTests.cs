using System.Text;
using System.Text.Unicode;
using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Protocol;
using Microsoft.Data.Sqlite;

namespace Lifeline.Hub.Tests.Storage;

/// <summary>
/// Regression (issue 11, point 2): a store that already holds an entry that is not UTF-8 (written by an older version,
/// which stored props unchecked, or damaged on disk) was sent as it is: every resuming subscriber failed at that entry
/// on every reconnect (its WebSocket refuses such text), and <c>GET /v1/logs</c> answered text that is not UTF-8.
/// Readers now get past it: invalid sequences become U+FFFD, and JSON beyond repair is sent as an explicit error entry.
/// </summary>
public sealed class UnreadableEntryTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("lifeline-unreadable-");

    private string Db => Path.Combine(_dir.FullName, "hub.db");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task StoredEntryNotUtf8_IsServedAsUtf8_AndAResumingSubscriberGetsPastIt()
    {
        await using (var seed = await StartAsync())
        {
            await seed.PostAsync([.. Enumerable.Range(1, 4).Select(i => new LogEntry { Message = $"m{i}", Properties = Props("user", "#") })]);
        }

        // Entry 2: invalid bytes inside a props value (what older versions stored). Entry 3: invalid bytes and
        // broken JSON (damage on disk).
        var two = Damage(Encoding.UTF8.GetBytes("""{"id":2,"ts":"2026-01-01T00:00:00Z","level":"information","source":"","message":"m2","props":{"user":"#"}}"""));
        var three = Damage(Encoding.UTF8.GetBytes("""{"id":3,"level":"information","message":"m3","props":{"user":"#"""));
        Execute("UPDATE entries SET json = $json WHERE id = 2", two);
        Execute("UPDATE entries SET json = $json WHERE id = 3", three);

        await using var hub = await StartAsync();
        for (var attempt = 0; attempt < 2; attempt++)
        {
            // A resuming subscriber (each attempt is a reconnect after id 1): the test's ClientWebSocket refuses any
            // text frame that is not UTF-8, as browsers and Node's ws do.
            await using var sub = await hub.SubscribeAsync("after=1");
            await sub.ReceiveEntriesAsync(3);
            Assert.Equal(["m2", "m3", "m4"], sub.Entries.Select(e => e.Message));
            Assert.Equal("\uFFFD(", sub.Entries[0].Properties!.Value.GetProperty("user").GetString());
            Assert.True(sub.Entries[1].Properties!.Value.TryGetProperty("lifelineUnreadable", out _));
            Assert.Equal(3, sub.Entries[1].Id);
            Assert.Equal("#", sub.Entries[2].Properties!.Value.GetProperty("user").GetString());
        }

        await using (var live = await hub.SubscribeAsync("after=1"))
        {
            await live.ReceiveEntriesAsync(3);
            await hub.PostAsync(new LogEntry { Message = "m5" });
            await live.ReceiveEntriesAsync(4);
            Assert.Equal("m5", live.Entries[3].Message);
        }

        var body = await hub.Http.GetByteArrayAsync("v1/logs?limit=100");
        Assert.True(Utf8.IsValid(body));
        Assert.Equal(["m1", "m2", "m3", "m4", "m5"], HttpBodyJson.ParseQueryPage(body).Entries.Select(e => e.Message));
    }

    private static System.Text.Json.JsonElement? Props(string name, string value)
    {
        using var doc = System.Text.Json.JsonDocument.Parse($"{{\"{name}\":\"{value}\"}}");
        return doc.RootElement.Clone();
    }

    /// <summary>Each '#' becomes 0xC3 0x28: a lead byte without its continuation byte.</summary>
    private static byte[] Damage(byte[] json) => [.. json.SelectMany(b => b == (byte)'#' ? new byte[] { 0xC3, 0x28 } : [b])];

    private Task<HubHost> StartAsync() => HubHost.StartAsync(o =>
    {
        o.Store = HubStoreKind.Sqlite;
        o.SqlitePath = Db;
    });

    private void Execute(string sql, byte[] json)
    {
        using var connection = new SqliteConnection($"Data Source={Db};Pooling=False");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Parameters.AddWithValue("$json", json);
        Assert.Equal(1, cmd.ExecuteNonQuery());
    }
}
