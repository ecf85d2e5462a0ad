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

    /// <summary>
    /// Regression: cluster-demo's own starter said only "a nats-server exited before it joined the cluster (see its
    /// configuration in the temp folder)", a folder it had just deleted; the shared starter names the server and
    /// quotes the last line it logged (nats-server's reason), as the tests' fixture always did.
    /// </summary>
    [Fact]
    public async Task ClusterDemo_NatsServerExitsAtStart_OneLineWithItsLastLogLine_Exit1()
    {
        var fake = Path.Combine(Directory.CreateTempSubdirectory("lifeline-fake-nats-").FullName, "nats-server");
        await File.WriteAllTextAsync(fake, "#!/bin/sh\necho '[FTL] fake nats-server: bad listen address' >&2\nexit 1\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        try
        {
            var runner = new CliRunner();
            runner.Variables["LIFELINE_NATS_SERVER"] = fake;

            var result = await runner.RunAsync("cluster-demo", "--port", "0");

            Assert.Equal(1, result.ExitCode);
            Assert.Matches(@"^lifeline: nats-server nats\d exited before it joined the cluster; its last log line: \[FTL\] fake nats-server: bad listen address$", Assert.Single(result.ErrorLines));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(fake)!, recursive: true);
        }
    }

    [Fact]
    public void NoCluster_SingleHub()
    {
        var settings = HubHostSettings.From(HubHostSettings.BuildConfiguration(null, new Dictionary<string, string>(), []));

        Assert.Empty(settings.Cluster);
        Assert.DoesNotContain("cluster", settings.Describe());
    }
}
