namespace Lifeline.Cli.Tests;

/// <summary>Issue 5 point 9: every command has --help with an example.</summary>
public class HelpTests
{
    [Theory]
    [InlineData]
    [InlineData("demo")]
    [InlineData("serve")]
    [InlineData("tail")]
    [InlineData("send")]
    [InlineData("stats")]
    [InlineData("bench")]
    public async Task Help_EveryCommand_EndsWithAnExample(params string[] command)
    {
        var result = await CliRunner.RunOnceAsync([.. command, "--help"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Usage:", result.Out);
        var examples = result.Out[result.Out.IndexOf("Example", StringComparison.Ordinal)..];
        Assert.Contains($"  lifeline {string.Join(' ', command)}", examples.Replace("  lifeline  ", "  lifeline ", StringComparison.Ordinal));
        Assert.Equal(string.Empty, result.Error);
    }

    [Theory]
    [InlineData("tail")]
    [InlineData("send")]
    [InlineData("stats")]
    public async Task ClientCommands_TakeUrlAndKey_WithTheirVariables(string command)
    {
        var result = await CliRunner.RunOnceAsync(command, "--help");

        Assert.Contains("--url <url>", result.Out);
        Assert.Contains("LIFELINE_URL", result.Out);
        Assert.Contains("--key <key>", result.Out);
        Assert.Contains("LIFELINE_KEY", result.Out);
    }
}
