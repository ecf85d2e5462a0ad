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

    /// <summary>Issue 15 point 6: <c>serve</c> and <c>demo</c> listed --url and --key, which they ignored.</summary>
    [Theory]
    [InlineData("serve")]
    [InlineData("demo")]
    public async Task HubCommands_DoNotOfferUrlOrKey(string command)
    {
        var help = await CliRunner.RunOnceAsync(command, "--help");
        var misuse = await CliRunner.RunOnceAsync(command, "--url", "http://127.0.0.1:1");

        Assert.DoesNotContain("--url <", help.Out);
        Assert.DoesNotContain("--key <", help.Out);
        Assert.Equal(2, misuse.ExitCode);
        Assert.Contains("--url", Assert.Single(misuse.ErrorLines));
    }
}
