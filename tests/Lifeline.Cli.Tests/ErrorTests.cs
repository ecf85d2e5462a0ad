namespace Lifeline.Cli.Tests;

/// <summary>Issue 5 point 9: every error is one line on standard error and a non-zero exit code, never a stack trace.</summary>
public class ErrorTests
{
    [Theory]
    [InlineData("tail", "--bogus")]
    [InlineData("send", "--bogus", "text")]
    [InlineData("send", "--batch-size", "zero")]
    [InlineData("stats", "--interval")]
    [InlineData("nosuchcommand")]
    [InlineData("tail", "--level", "loud")]
    [InlineData("send", "--batch-size", "0")]
    [InlineData("stats", "--interval", "-1")]
    public async Task BadFlag_OneLineUsageError(params string[] args)
    {
        var result = await CliRunner.RunOnceAsync(args);

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("lifeline: ", line);
        Assert.Contains("--help", line);
        Assert.Equal(string.Empty, result.Out);
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("ftp://example.com")]
    [InlineData("/relative/path")]
    public async Task BadUrl_NamesTheValue_UsageExit(string url)
    {
        var result = await CliRunner.RunOnceAsync("stats", "--url", url);

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.Equal($"lifeline: invalid --url '{url}': expected an absolute http:// or https:// URL such as http://127.0.0.1:5180", line);
    }

    [Fact]
    public async Task BadUrlFromEnvironment_NamesTheVariable()
    {
        var runner = new CliRunner { Variables = { ["LIFELINE_URL"] = "nope" } };

        var result = await runner.RunAsync("tail");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("invalid LIFELINE_URL 'nope'", Assert.Single(result.ErrorLines));
    }

    [Theory]
    [InlineData("stats")]
    [InlineData("tail")]
    [InlineData("tail", "--follow")]
    [InlineData("send", "hello")]
    public async Task ConnectionRefused_OneLine_UnreachableExit(params string[] args)
    {
        var url = Ports.RefusingUrl();

        var result = await CliRunner.RunOnceAsync([.. args, "--url", url]);

        Assert.Equal(3, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.Equal($"lifeline: cannot reach the hub at {url}: connection refused (is it running? start one with 'lifeline serve' or 'lifeline demo')", line);
        Assert.DoesNotContain(" at Lifeline", result.Error);
    }

    [Fact]
    public async Task NoCommand_ShowsHelpOnStandardError_UsageExit()
    {
        var result = await CliRunner.RunOnceAsync();

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Commands:", result.Error);
    }

    [Theory]
    [InlineData("12x")]
    [InlineData("yesterday")]
    public async Task BadSince_OneLineUsageError(string since)
    {
        var result = await CliRunner.RunOnceAsync("tail", "--since", since, "--url", Ports.RefusingUrl());

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"lifeline: invalid --since '{since}'", Assert.Single(result.ErrorLines));
    }
}
