using System.Text.Json;
using Lifeline.Testing.Tasks;
using Lifeline.Testing.Time;

namespace Lifeline.Cli.Tests.Commands;

/// <summary>Issue 5 point 5: <c>lifeline stats</c>.</summary>
public class StatsTests
{
    [Fact]
    public async Task Stats_Table_ShowsTheHubsFigures()
    {
        await using var hub = await ServedHub.StartAsync();
        await hub.SendAsync(ServedHub.Numbered(1, 3), "--ndjson");

        var result = await CliRunner.RunOnceAsync("stats", "--url", hub.Url);

        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"\| ingested total\s+\| 3\s+\|", result.Out);
        Assert.Matches(@"\| subscribers\s+\| 0\s+\|", result.Out);
        Assert.Contains("reconnects", result.Out);
        Assert.DoesNotContain("\u001b[", result.Out); // piped: plain text, no colour codes
    }

    [Fact]
    public async Task Stats_Json_IsTheHubsDocument()
    {
        await using var hub = await ServedHub.StartAsync();

        var result = await CliRunner.RunOnceAsync("stats", "--url", hub.Url, "--json");

        using var stats = JsonDocument.Parse(result.Out);
        Assert.Equal(0, stats.RootElement.GetProperty("subscribers").GetInt32());
    }

    [Fact]
    public async Task StatsWatch_RefreshesEachInterval_UntilCancelled()
    {
        await using var hub = await ServedHub.StartAsync();
        var time = new ManualTimeProvider();
        var runner = new CliRunner { Time = time };
        using var stop = new CancellationTokenSource();

        var watching = runner.RunAsync(stop.Token, "stats", "--url", hub.Url, "--watch", "--interval", "5");
        await runner.Out.WaitForAsync("ingested total").OrTimeout(TimeSpan.FromSeconds(30));
        await hub.SendAsync(ServedHub.Numbered(1, 7), "--ndjson");
        await time.WaitForTimersAsync(1).OrTimeout(TimeSpan.FromSeconds(30));
        time.Advance(TimeSpan.FromSeconds(5));
        await runner.Out.WaitForAsync("| ingested total", count: 2).OrTimeout(TimeSpan.FromSeconds(30));
        await stop.CancelAsync();
        var result = await watching.OrTimeout(TimeSpan.FromSeconds(30));

        Assert.Equal(0, result.ExitCode);
        var snapshots = result.Out.Split($"{new Uri(hub.Url).GetLeftPart(UriPartial.Authority)} at ");
        Assert.Equal(3, snapshots.Length); // text before the first header, then two snapshots
        Assert.Matches(@"\| last id\s+\| 0\s+\|", snapshots[1]);
        Assert.Matches(@"\| last id\s+\| 7\s+\|", snapshots[2]);
    }

    [Fact]
    public async Task StatsWatch_HubGoneForARefresh_SaysSoAndCarriesOn()
    {
        await using var hub = await ServedHub.StartAsync();
        var port = hub.Port;
        var time = new ManualTimeProvider();
        var runner = new CliRunner { Time = time };
        using var stop = new CancellationTokenSource();

        var watching = runner.RunAsync(stop.Token, "stats", "--url", hub.Url, "--watch", "--interval", "5");
        await runner.Out.WaitForAsync("| ingested total").OrTimeout(TimeSpan.FromSeconds(30));
        await hub.DisposeAsync();
        await time.WaitForTimersAsync(1).OrTimeout(TimeSpan.FromSeconds(30));
        time.Advance(TimeSpan.FromSeconds(5));
        await runner.Error.WaitForAsync("; retrying in 5 s").OrTimeout(TimeSpan.FromSeconds(30));
        await using var restarted = await ServedHub.StartAsync("--urls", $"http://127.0.0.1:{port}");
        await time.WaitForTimersAsync(1).OrTimeout(TimeSpan.FromSeconds(30));
        time.Advance(TimeSpan.FromSeconds(5));
        await runner.Out.WaitForAsync("| ingested total", count: 2).OrTimeout(TimeSpan.FromSeconds(30));
        await stop.CancelAsync();
        var result = await watching.OrTimeout(TimeSpan.FromSeconds(30));

        Assert.Equal(0, result.ExitCode);
        // Issue 15 point 6: a retry line says what failed, without the "is it running?" hint of a final error each time.
        Assert.Equal($"lifeline: cannot reach the hub at http://127.0.0.1:{port}: connection refused; retrying in 5 s", result.ErrorLines[0]);
    }

    [Fact]
    public async Task Stats_WithoutKey_OneLine_Exit4()
    {
        using var keys = new KeysFile();
        await using var hub = await ServedHub.StartAsync("--keys", keys.Path);

        var result = await CliRunner.RunOnceAsync("stats", "--url", hub.Url);

        Assert.Equal(4, result.ExitCode);
        Assert.StartsWith($"lifeline: the hub at {hub.Url} refused the key (401 unauthorized)", Assert.Single(result.ErrorLines));
    }
}
