namespace Lifeline.Cli.Tests.Commands;

/// <summary>Tables and progress are drawn for a terminal, plain when piped (issue 5: Spectre.Console only with a terminal).</summary>
public class TerminalOutputTests
{
    [Fact]
    public async Task Stats_OnATerminal_DrawsBoxes_PipedIsAscii()
    {
        await using var hub = await ServedHub.StartAsync();

        var terminal = await new CliRunner { Terminal = true }.RunAsync("stats", "--url", hub.Url);
        var piped = await new CliRunner().RunAsync("stats", "--url", hub.Url);

        Assert.Equal(0, terminal.ExitCode);
        Assert.Contains("╭", terminal.Out);
        Assert.DoesNotContain("╭", piped.Out);
        Assert.Contains("+---", piped.Out);
    }

    [Fact]
    public async Task Send_OnATerminal_RewritesItsProgressLineInPlace()
    {
        await using var hub = await ServedHub.StartAsync();
        var time = new Lifeline.Testing.Time.ManualTimeProvider { AutoAdvanceAmount = TimeSpan.FromSeconds(1) };
        var runner = new CliRunner { Terminal = true, Time = time, Input = string.Concat(Enumerable.Range(1, 3000).Select(i => $"line {i}\n")) };

        var result = await runner.RunAsync("send", "--url", hub.Url, "--batch-size", "500");

        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("\rlifeline: sent ", result.Error);
        Assert.DoesNotContain("\n\r", result.Error.TrimEnd()); // one line, rewritten, ended once
    }
}
