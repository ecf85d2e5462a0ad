using System.Text.RegularExpressions;
using Lifeline.Testing.Tasks;

namespace Lifeline.Cli.Tests.Commands;

/// <summary>Issue 5 point 1: <c>lifeline demo</c>.</summary>
public class DemoTests
{
    [Fact]
    public async Task Demo_PrintsDashboardAndKey_GeneratesEveryLevel_StopsWithExit0()
    {
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var demo = new CliRunner { Listening = url => listening.TrySetResult(url) };
        using var stop = new CancellationTokenSource();

        var running = demo.RunAsync(stop.Token, "demo", "--port", "0", "--rate", "400");
        var dashboard = await listening.Task.OrTimeout(TimeSpan.FromSeconds(30));
        var key = Regex.Match(demo.Out.ToString(), @"key:\s+(ll_\S+)").Groups[1].Value;
        var url = dashboard[..dashboard.IndexOf('?', StringComparison.Ordinal)];

        Assert.Equal($"{url}?access_token={key}", dashboard);
        using (var http = new HttpClient())
        {
            Assert.Contains("<title>Lifeline</title>", await http.GetStringAsync(new Uri(dashboard)).OrTimeout());
        }

        // The generator publishes with the printed key; a tail with it sees entries of several sources and levels.
        var tail = new CliRunner();
        using var stopTail = new CancellationTokenSource();
        var following = tail.RunAsync(stopTail.Token, "tail", "--url", url, "--key", key, "--since", "0", "--follow", "--json");
        await tail.Out.WaitForAsync("\"id\":", count: 400).OrTimeout(TimeSpan.FromSeconds(60));
        await stopTail.CancelAsync();
        var entries = ServedHub.JsonLines((await following.OrTimeout(TimeSpan.FromSeconds(30))).Out).ToList();
        Assert.True(entries.Select(e => e.GetProperty("source").GetString()).Distinct().Count() >= 3);
        Assert.True(entries.Select(e => e.GetProperty("level").GetString()).Distinct().Count() >= 4);

        await stop.CancelAsync();
        var result = await running.OrTimeout(TimeSpan.FromSeconds(30));
        Assert.Equal(0, result.ExitCode);
        Assert.EndsWith("stopping...\nstopped", result.Out.Trim().ReplaceLineEndings("\n"));
        Assert.DoesNotContain("generator:", result.Error); // stopped before the hub: no failed publish
    }

    [Fact]
    public async Task Demo_NoAuth_NeedsNoKey()
    {
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var demo = new CliRunner { Listening = url => listening.TrySetResult(url) };
        using var stop = new CancellationTokenSource();

        var running = demo.RunAsync(stop.Token, "demo", "--port", "0", "--no-auth", "--rate", "0");
        var url = await listening.Task.OrTimeout(TimeSpan.FromSeconds(30));
        var sent = await new CliRunner().RunAsync("send", "--url", url, "hello");
        await stop.CancelAsync();
        var result = await running.OrTimeout(TimeSpan.FromSeconds(30));

        Assert.Equal(0, sent.ExitCode);
        Assert.Contains("NO AUTHENTICATION", result.Out);
        Assert.DoesNotContain("access_token", result.Out);
        Assert.Equal(0, result.ExitCode);
    }
}
