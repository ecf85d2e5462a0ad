using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using Lifeline.Cli.Hosting;
using Lifeline.Cli.Hub;
using Lifeline.LocalNats;

namespace Lifeline.Cli.Commands;

/// <summary>
/// <c>lifeline cluster-demo</c>: a local three-node cluster to try (docs/cluster.md, "Try it"): three <c>nats-server</c>
/// processes with JetStream, three hub nodes in this process joined to them (consecutive loopback ports), a generated
/// admin key and a synthetic generator publishing to the first node. Ctrl+C stops, in order: the generator, the three
/// nodes (drained), the servers (killed by pid and awaited), and deletes their folder: nothing is left running.
/// </summary>
internal static class ClusterDemoCommand
{
    /// <summary>Three engine servers and three nodes: the smallest cluster where any one of them may die.</summary>
    private const int Nodes = 3;

    public static Command Create(CommandContext context)
    {
        var port = new Option<int>("--port", "-p") { Description = "The first node's loopback port (the others take the next two); 0 picks free ones", DefaultValueFactory = _ => 5180, HelpName = "port" }.InRange(0, 65533);
        var rate = new Option<double>("--rate") { Description = "Generated entries per second, published to the first node; 0 generates nothing", DefaultValueFactory = _ => 20, HelpName = "per-second" }.InRange(0, 100_000);
        var command = new Command("cluster-demo", "Run a local 3-node cluster (3 nats-server + 3 hubs sharing one log) with generated logs; Ctrl+C stops everything.")
        {
            port, rate,
        }.WithExamples("lifeline cluster-demo", "lifeline cluster-demo --port 0 --rate 200");
        command.SetAction(async (result, cancellationToken) =>
        {
            var environment = context.Environment;
            var executable = FindNatsServer(environment);
            var key = "ll_" + DemoCommand.Base64Url(RandomNumberGenerator.GetBytes(24));
            var keysFile = DemoCommand.WriteKeysFile(key);
            try
            {
                await environment.Out.WriteLineAsync($"starting {Nodes} nats-server processes with JetStream...").ConfigureAwait(false);
                LocalNatsCluster engine;
                try
                {
                    engine = await LocalNatsCluster.StartAsync(executable, Nodes, cancellationToken).ConfigureAwait(false);
                }
                catch (LocalNatsException exception)
                {
                    throw new CliException(exception.Message, ExitCodes.Failure, exception);
                }

                await using var engineScope = engine.ConfigureAwait(false);
                var hosts = new List<HubHost>();
                try
                {
                    for (var i = 0; i < Nodes; i++)
                    {
                        var first = result.GetValue(port);
                        var settings = new HubHostSettings
                        {
                            Urls = [string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{(first == 0 ? 0 : first + i)}")],
                            KeysFile = keysFile,
                            Cluster = engine.Urls,
                            NodeName = $"node{i + 1}",
                        };
                        hosts.Add(await HubHost.StartAsync(settings, environment, o => o.KeysEnvironmentVariable = null, cancellationToken).ConfigureAwait(false));
                    }

                    await environment.Out.WriteLineAsync($"""
                        Lifeline cluster of {Nodes} nodes sharing one log (memory mirrors, admin key below)
                          engine:    {string.Join(',', engine.Urls)} (nats-server pids {string.Join(", ", engine.Pids)}; data in {engine.Root})
                        {string.Concat(hosts.Select((h, i) => $"  node{i + 1}:     {h.Addresses[0]}?access_token={key}{Environment.NewLine}"))}  key:       {key}
                          try:       lifeline tail --url {hosts[^1].Addresses[0]} --key {key} --follow
                        Press Ctrl+C to stop.
                        """).ConfigureAwait(false);
                    environment.Listening?.Invoke(hosts[0].Addresses[0].ToString());

                    using var stopGenerator = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    var generating = DemoCommand.RunGeneratorAsync(new HubEndpoint(hosts[0].Addresses[0], key), result.GetValue(rate), environment, stopGenerator.Token);
                    await HubHost.WaitForStopAsync(cancellationToken).ConfigureAwait(false);

                    // Stop order: the generator, the nodes (each drains: subscribers get 1001), then the engine.
                    await environment.Out.WriteLineAsync("stopping...").ConfigureAwait(false);
                    await stopGenerator.CancelAsync().ConfigureAwait(false);
                    await generating.ConfigureAwait(false);
                }
                finally
                {
                    foreach (var host in hosts)
                    {
                        await host.DisposeAsync().ConfigureAwait(false);
                    }
                }
            }
            finally
            {
                File.Delete(keysFile);
            }

            await environment.Out.WriteLineAsync("stopped").ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>nats-server at <see cref="LocalNatsCluster.ServerVariable"/> or on PATH, or one line saying how to install it.</summary>
    private static string FindNatsServer(CliEnvironment environment)
    {
        if (environment.GetVariable(LocalNatsCluster.ServerVariable) is { Length: > 0 } chosen)
        {
            return File.Exists(chosen) ? chosen : throw new CliException($"{LocalNatsCluster.ServerVariable}={chosen} does not exist", ExitCodes.Usage);
        }

        return ProgramLookup.OnPath(environment.GetVariable("PATH"), "nats-server")
            ?? throw new CliException($"nats-server not found on PATH: install it ({LocalNatsCluster.Install}), or set {LocalNatsCluster.ServerVariable}", ExitCodes.Failure);
    }
}
