using Lifeline.Cli;

namespace Lifeline.Cli.Tests;

/// <summary>Issue 5 point 0: --url and --key, else LIFELINE_URL / LIFELINE_KEY, else the local hub.</summary>
public class GlobalOptionsTests
{
    private static HubEndpoint Resolve(Dictionary<string, string> variables, params string[] args)
    {
        var environment = new CliEnvironment { Out = TextWriter.Null, Error = TextWriter.Null, Variables = variables };
        var context = new CommandContext(environment, new GlobalOptions());
        var root = CliApp.BuildRoot(context);
        return context.ResolveEndpoint(root.Parse(["stats", .. args]));
    }

    [Fact]
    public void Nothing_Given_DefaultsToTheLocalHubWithoutKey()
    {
        var endpoint = Resolve([]);

        Assert.Equal(new Uri("http://127.0.0.1:5180/"), endpoint.BaseUri);
        Assert.Null(endpoint.Key);
    }

    [Fact]
    public void Environment_UsedWhenNoFlags()
    {
        var endpoint = Resolve(new() { ["LIFELINE_URL"] = "https://hub.example:9000/base", ["LIFELINE_KEY"] = "k-env" });

        Assert.Equal(new Uri("https://hub.example:9000/base/"), endpoint.BaseUri);
        Assert.Equal("k-env", endpoint.Key);
    }

    [Fact]
    public void Flags_WinOverEnvironment()
    {
        var endpoint = Resolve(new() { ["LIFELINE_URL"] = "http://env:1", ["LIFELINE_KEY"] = "k-env" }, "--url", "ws://flag:2", "--key", "k-flag");

        Assert.Equal(new Uri("http://flag:2/"), endpoint.BaseUri);
        Assert.Equal("k-flag", endpoint.Key);
    }

    [Fact]
    public void WebSocketUrl_CarriesFilterEscaped()
    {
        var endpoint = HubEndpoint.Create("https://hub:8443/", null, "--url");

        var uri = endpoint.WebSocket("v1/stream", [new("contains", "a b&c"), new("after", "7")]);

        Assert.Equal("wss://hub:8443/v1/stream?contains=a%20b%26c&after=7", uri.AbsoluteUri);
    }
}
