using System.Net;
using System.Text.Json;
using Lifeline.Testing.Faults;
using Lifeline.Testing.Tasks;

namespace Lifeline.Cli.Tests.Commands;

/// <summary>Issue 5 point 3: <c>lifeline tail</c>.</summary>
public class TailTests
{
    [Fact]
    public async Task Tail_LevelSourceContains_AllMustHold()
    {
        await using var hub = await ServedHub.StartAsync();
        await hub.SendAsync(ServedHub.Mixed, "--ndjson");

        var result = await CliRunner.RunOnceAsync("tail", "--url", hub.Url, "--since", "0", "--level", "warning", "--source", "api", "--source", "db", "--contains", "slow");

        Assert.Equal(0, result.ExitCode);
        var lines = result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Matches(@"^#2 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z WARN \[api\] slow query on orders \{""ms"":812\}$", lines[0]);
        Assert.Matches(@"^#3 \S+ ERROR \[db\] SLOW disk$", lines[1]);
    }

    [Fact]
    public async Task Tail_Where_HubFiltersOnProperties()
    {
        await using var hub = await ServedHub.StartAsync();
        await hub.SendAsync("""
            {"message":"fast","props":{"ms":12,"user":"x"}}
            {"message":"slow","props":{"ms":1500,"user":"y"}}
            {"message":"slow for x","props":{"ms":2500,"user":"x"}}
            {"message":"no props"}
            """, "--ndjson");

        var entries = await hub.AllEntriesAsync("--where", "ms > 1000", "-w", "user = \"x\"");

        Assert.Equal(["slow for x"], entries.Select(e => e.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task Tail_Levels_OnlyThoseLevels()
    {
        await using var hub = await ServedHub.StartAsync();
        await hub.SendAsync(ServedHub.Mixed, "--ndjson");

        var entries = await hub.AllEntriesAsync("--levels", "debug,critical");

        Assert.Equal([5L, 6L], entries.Select(e => e.GetProperty("id").GetInt64()));
    }

    [Fact]
    public async Task Tail_InvalidWhere_IsAUsageErrorNamingThePredicate()
    {
        var result = await CliRunner.RunOnceAsync("tail", "--url", "http://127.0.0.1:9", "--where", "ms >");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("invalid --where: 'ms >': expected a value after the operator", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tail_Json_PrintsEntriesAsTheHubSentThem()
    {
        await using var hub = await ServedHub.StartAsync();
        await hub.SendAsync(ServedHub.Mixed, "--ndjson");

        var entries = await hub.AllEntriesAsync("--level", "critical");

        var entry = Assert.Single(entries);
        Assert.Equal(6, entry.GetProperty("id").GetInt64());
        Assert.Equal("out of memory", entry.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Tail_SinceTime_OnlyEntriesAtOrAfterIt()
    {
        await using var hub = await ServedHub.StartAsync();
        await hub.SendAsync("""
            {"ts":"2020-01-01T00:00:00Z","message":"old"}
            {"ts":"2026-06-01T00:00:00Z","message":"new"}
            {"ts":"2021-01-01T00:00:00Z","message":"older"}
            """, "--ndjson");

        var entries = await hub.AllEntriesAsync("--since", "2026-01-01T00:00:00Z");

        Assert.Equal(["new"], entries.Select(e => e.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task Tail_WithoutSince_ShowsTheLastLinesIds()
    {
        await using var hub = await ServedHub.StartAsync();
        await hub.SendAsync(ServedHub.Numbered(1, 30), "--ndjson");

        var result = await CliRunner.RunOnceAsync("tail", "--url", hub.Url, "-n", "5", "--json");

        Assert.Equal([26L, 27, 28, 29, 30], ServedHub.JsonLines(result.Out).Select(e => e.GetProperty("id").GetInt64()));
    }

    [Theory]
    [InlineData(null, "refused the key (401 unauthorized)")]
    [InlineData("wrong-key", "refused the key (401 unauthorized)")]
    [InlineData("write-key", "lacks the 'read' scope")]
    public async Task Tail_AuthFailure_OneLine_Exit4(string? key, string expected)
    {
        using var keys = new KeysFile();
        await using var hub = await ServedHub.StartAsync("--keys", keys.Path);
        string[] args = ["tail", "--url", hub.Url, "--follow", .. key is null ? Array.Empty<string>() : ["--key", key]];

        var result = await CliRunner.RunOnceAsync(args);

        Assert.Equal(4, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("lifeline: ", line);
        Assert.Contains(expected, line);
    }

    [Fact]
    public async Task TailFollow_KeyRevokedWhileStreaming_OneLine_Exit4()
    {
        using var keys = new KeysFile();
        await using var hub = await ServedHub.StartAsync("--keys", keys.Path);
        var tail = new CliRunner();
        var following = tail.RunAsync("tail", "--url", hub.Url, "--key", "read-key", "--follow");
        await tail.Error.WaitForAsync("connected as").OrTimeout(TimeSpan.FromSeconds(30));

        using (var http = new HttpClient())
        using (var revoke = new HttpRequestMessage(HttpMethod.Post, new Uri($"{hub.Url}/v1/keys/revoke")) { Content = new StringContent("""{"id":"reader"}""") })
        {
            revoke.Headers.Authorization = new("Bearer", "admin-key");
            using var response = await http.SendAsync(revoke).OrTimeout();
            Assert.True(response.IsSuccessStatusCode);
        }

        var result = await following.OrTimeout(TimeSpan.FromSeconds(30));
        Assert.Equal(4, result.ExitCode);
        Assert.StartsWith($"lifeline: the hub at {hub.Url} refused the key (4401", result.ErrorLines[^1]);
        Assert.DoesNotContain("   at ", result.Error);
    }

    [Fact]
    public async Task Tail_KeyFromEnvironment_Accepted()
    {
        using var keys = new KeysFile();
        await using var hub = await ServedHub.StartAsync("--keys", keys.Path);
        await new CliRunner { Input = "hello\n", Variables = { ["LIFELINE_URL"] = hub.Url, ["LIFELINE_KEY"] = "write-key" } }.RunAsync("send");

        var result = await new CliRunner { Variables = { ["LIFELINE_URL"] = hub.Url, ["LIFELINE_KEY"] = "read-key" } }.RunAsync("tail", "--since", "0");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("[cli] hello", result.Out);
    }

    [Fact]
    public async Task TailFollow_ConnectionsCutWhilePublishing_EveryEntryOnceInOrder_ReconnectsCounted()
    {
        await using var hub = await ServedHub.StartAsync();
        await using var proxy = await FaultProxy.StartAsync(new IPEndPoint(IPAddress.Loopback, hub.Port));
        using var stop = new CancellationTokenSource();
        var tail = new CliRunner();
        var following = tail.RunAsync(stop.Token, "tail", "--url", proxy.GetUri("http", "/").ToString(), "--since", "0", "--follow", "--json");
        await tail.Error.WaitForAsync("connected as").OrTimeout(TimeSpan.FromSeconds(30));

        var publishing = hub.SendAsync(ServedHub.Numbered(1, 3000), "--ndjson", "--batch-size", "25");
        for (var cut = 1; cut <= 3; cut++)
        {
            await proxy.CutAllAsync(cut % 2 == 0 ? CutMode.Close : CutMode.Reset).OrTimeout(TimeSpan.FromSeconds(30));
            await tail.Error.WaitForAsync("lifeline: reconnected, resuming after id ", count: cut).OrTimeout(TimeSpan.FromSeconds(30));
        }

        await publishing.OrTimeout(TimeSpan.FromSeconds(60));
        await tail.Out.WaitForAsync("\"entry 3000\"").OrTimeout(TimeSpan.FromSeconds(60));
        var stats = await CliRunner.RunOnceAsync("stats", "--url", hub.Url, "--json");
        await stop.CancelAsync();
        var result = await following.OrTimeout(TimeSpan.FromSeconds(30));

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(Enumerable.Range(1, 3000).Select(i => (long)i), ServedHub.JsonLines(result.Out).Select(e => e.GetProperty("id").GetInt64()));
        Assert.Contains("lifeline: disconnected: ", result.Error);
        Assert.Contains("lifeline: reconnected, resuming after id ", result.Error);
        var clientId = result.Error.Split("connected as ")[1].Split(',')[0];
        using var figures = JsonDocument.Parse(stats.Out);
        Assert.True(figures.RootElement.GetProperty("reconnects").GetProperty(clientId).GetInt64() >= 3, stats.Out + result.Error);
    }

    [Fact]
    public async Task TailFollow_HubRestartedOnItsDurableStore_ResumesWithoutGapOrDuplicate()
    {
        var db = Path.Combine(Path.GetTempPath(), $"lifeline-tail-{Guid.NewGuid():N}.db");
        try
        {
            var hub = await ServedHub.StartAsync("--store", $"sqlite:{db}");
            var port = hub.Port;
            using var stop = new CancellationTokenSource();
            var tail = new CliRunner();
            var following = tail.RunAsync(stop.Token, "tail", "--url", hub.Url, "--since", "0", "--follow", "--json");

            // Following, not still reading history: otherwise the hub can stop before the stream's first connect, and
            // the tail's first connection is to the restarted hub (no reconnect to see).
            await tail.Error.WaitForAsync("connected as").OrTimeout(TimeSpan.FromSeconds(30));
            await hub.SendAsync(ServedHub.Numbered(1, 50), "--ndjson");
            await tail.Out.WaitForAsync("\"entry 50\"").OrTimeout(TimeSpan.FromSeconds(30));

            await hub.DisposeAsync();
            await tail.Error.WaitForAsync("lifeline: disconnected: ").OrTimeout(TimeSpan.FromSeconds(30));
            await using var restarted = await ServedHub.StartAsync("--store", $"sqlite:{db}", "--urls", $"http://127.0.0.1:{port}");
            await restarted.SendAsync(ServedHub.Numbered(51, 100), "--ndjson");
            await tail.Out.WaitForAsync("\"entry 100\"").OrTimeout(TimeSpan.FromSeconds(60));

            // The reconnect line is written by the client's OnConnected hook, which may run after the new connection's first
            // entries were printed (so the id it names can be past 50): wait for the line rather than stop the tail first.
            await tail.Error.WaitForAsync("lifeline: reconnected, resuming after id ").OrTimeout(TimeSpan.FromSeconds(30));
            await stop.CancelAsync();
            var result = await following.OrTimeout(TimeSpan.FromSeconds(30));

            Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), ServedHub.JsonLines(result.Out).Select(e => e.GetProperty("id").GetInt64()));
        }
        finally
        {
            foreach (var file in Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(db) + "*"))
            {
                File.Delete(file);
            }
        }
    }

    /// <summary>Issue 15 point 6: <c>-n</c> counted ids before the filter, so <c>-n 3 --level warning</c> printed two entries (or none).</summary>
    [Fact]
    public async Task Tail_LinesWithFilter_TheLastNMatchingEntries()
    {
        await using var hub = await ServedHub.StartAsync();
        await hub.SendAsync(ServedHub.Mixed, "--ndjson"); // warning or above: ids 2, 3, 4, 6
        await hub.SendAsync(ServedHub.Numbered(7, 30, level: "debug"), "--ndjson");

        var three = await CliRunner.RunOnceAsync("tail", "--url", hub.Url, "-n", "3", "--level", "warning", "--json");
        var all = await CliRunner.RunOnceAsync("tail", "--url", hub.Url, "-n", "10", "--level", "warning", "--json");
        var one = await CliRunner.RunOnceAsync("tail", "--url", hub.Url, "-n", "1", "--source", "api", "--json");

        Assert.Equal([3L, 4, 6], ServedHub.JsonLines(three.Out).Select(e => e.GetProperty("id").GetInt64()));
        Assert.Equal([2L, 3, 4, 6], ServedHub.JsonLines(all.Out).Select(e => e.GetProperty("id").GetInt64()));
        Assert.Equal([6L], ServedHub.JsonLines(one.Out).Select(e => e.GetProperty("id").GetInt64()));
    }

    /// <summary>Issue 15 point 6: text output names levels as --level, the dashboard and JSON do (not FAIL/CRIT).</summary>
    [Fact]
    public async Task Tail_Text_LevelNamesAsUsersTypeThem()
    {
        await using var hub = await ServedHub.StartAsync();
        await hub.SendAsync(ServedHub.Mixed, "--ndjson");

        var result = await CliRunner.RunOnceAsync("tail", "--url", hub.Url, "--since", "0");

        var levels = result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split(' ')[2]);
        Assert.Equal(["INFO", "WARN", "ERROR", "WARN", "DEBUG", "CRITICAL"], levels);
    }
}
