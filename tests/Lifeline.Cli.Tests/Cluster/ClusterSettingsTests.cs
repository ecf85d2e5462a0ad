using Lifeline.Cli.Hosting;

namespace Lifeline.Cli.Tests.Cluster;

/// <summary>Issue 13: <c>lifeline serve --cluster ... --node-name ...</c> and the same keys in configuration; bad values are one usage line.</summary>
public class ClusterSettingsTests
{
    [Theory]
    [InlineData("--no-auth --cluster http://127.0.0.1:4222", "lifeline: invalid cluster server 'http://127.0.0.1:4222' in Cluster/--cluster: expected nats://HOST:PORT")]
    [InlineData("--no-auth --cluster nats://127.0.0.1", "lifeline: invalid cluster server 'nats://127.0.0.1' in Cluster/--cluster")]
    [InlineData("--no-auth --cluster nats://127.0.0.1:4222,h2:4222", "lifeline: invalid cluster server 'h2:4222' in Cluster/--cluster")]
    [InlineData("--no-auth --cluster ,", "lifeline: Cluster/--cluster is empty")]
    [InlineData("--no-auth --node-name n1", "lifeline: --node-name/NodeName names a node of a cluster: pass --cluster too")]
    public async Task Serve_BadClusterSetting_OneLine_UsageExit(string args, string expected)
    {
        var result = await CliRunner.RunOnceAsync(["serve", "--urls", "http://127.0.0.1:0", .. args.Split(' ')]);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith(expected, Assert.Single(result.ErrorLines));
    }

    [Fact]
    public void ClusterFromEnvironment_FlagWins_EveryServerKept()
    {
        var variables = new Dictionary<string, string> { ["LIFELINE_CLUSTER"] = "nats://10.0.0.9:4222", ["LIFELINE_NODENAME"] = "from-env" };
        var flags = new[] { new KeyValuePair<string, string?>("Cluster", "nats://10.0.0.1:4222, nats://10.0.0.2:4222,tls://h3:4443"), new KeyValuePair<string, string?>("NodeName", null) };

        var settings = HubHostSettings.From(HubHostSettings.BuildConfiguration(null, variables, flags));

        Assert.Equal(["nats://10.0.0.1:4222", "nats://10.0.0.2:4222", "tls://h3:4443"], settings.Cluster);
        Assert.Equal("from-env", settings.NodeName);
        Assert.Contains("cluster node from-env on nats://10.0.0.1:4222,nats://10.0.0.2:4222,tls://h3:4443", settings.Describe());
    }

    [Fact]
    public async Task ClusterDemo_NatsServerNotFound_OneLineSayingHowToInstall_Exit1()
    {
        var runner = new CliRunner();
        runner.Variables["PATH"] = Path.GetTempPath(); // no nats-server there

        var result = await runner.RunAsync("cluster-demo", "--port", "0");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("lifeline: nats-server not found on PATH: install it (Debian: apt-get install nats-server; or https://nats.io), or set LIFELINE_NATS_SERVER", Assert.Single(result.ErrorLines));
        Assert.Equal(string.Empty, result.Out);
    }

    [Fact]
    public void NoCluster_SingleHub()
    {
        var settings = HubHostSettings.From(HubHostSettings.BuildConfiguration(null, new Dictionary<string, string>(), []));

        Assert.Empty(settings.Cluster);
        Assert.DoesNotContain("cluster", settings.Describe());
    }
}
