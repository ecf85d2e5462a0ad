using System.CommandLine;
using Lifeline.Cli.Hosting;

namespace Lifeline.Cli.Commands;

/// <summary><c>lifeline serve</c>: the hub and its dashboard, configured by flags, a config file and LIFELINE_* variables.</summary>
internal static class ServeCommand
{
    public static Command Create(CommandContext context)
    {
        var urls = new Option<string?>("--urls") { Description = $"Where to listen, ';'-separated [config: Urls] [default: {HubEndpoint.DefaultUrl}]", HelpName = "urls" };
        var store = new Option<string?>("--store") { Description = "memory, or sqlite:PATH for a durable store [config: Store] [default: memory]", HelpName = "memory|sqlite:PATH" };
        var keys = new Option<string?>("--keys") { Description = "API keys file (JSON, reloaded on change) [config: KeysFile]", HelpName = "file" };
        var noAuth = new Option<bool>("--no-auth") { Description = "No keys: anyone on this machine may read and write; loopback only [config: NoAuth]" };
        var prometheus = new Option<bool>("--prometheus") { Description = "Serve metrics at /metrics for Prometheus to scrape (no key needed: counts only, no log content) [config: Prometheus]" };
        var cluster = new Option<string?>("--cluster") { Description = "Join a cluster: its NATS JetStream servers, ','-separated; every node shares one log (docs/cluster.md) [config: Cluster]", HelpName = "nats://HOST:PORT,..." };
        var nodeName = new Option<string?>("--node-name") { Description = "This node's name in the cluster, unique per node (in /v1/stats) [config: NodeName] [default: machine name and process id]", HelpName = "name" };
        var config = new Option<string?>("--config") { Description = "A JSON config file with the keys above and a Hub section of limits", HelpName = "file" };
        var limits = new (Option<long?> Option, string Key)[]
        {
            (new("--max-entry-bytes") { Description = "Largest entry accepted [config: Hub:MaxEntryBytes] [default: 65536]", HelpName = "bytes" }, "Hub:MaxEntryBytes"),
            (new("--max-request-bytes") { Description = "Largest POST /v1/logs body [config: Hub:MaxRequestBytes] [default: 16 MiB]", HelpName = "bytes" }, "Hub:MaxRequestBytes"),
            (new("--max-message-bytes") { Description = "Largest WebSocket message [config: Hub:MaxMessageBytes] [default: 1 MiB]", HelpName = "bytes" }, "Hub:MaxMessageBytes"),
            (new("--subscriber-queue-bytes") { Description = "Send queue bound per subscriber [config: Hub:SubscriberQueueBytes] [default: 4 MiB]", HelpName = "bytes" }, "Hub:SubscriberQueueBytes"),
            (new("--memory-max-entries") { Description = "Entries the memory store keeps [config: Hub:MemoryMaxEntries] [default: 1000000]", HelpName = "count" }, "Hub:MemoryMaxEntries"),
        };
        var command = new Command("serve", "Run a Lifeline hub with its dashboard at /. Settings come from flags, then LIFELINE_* environment variables, then --config.")
        {
            urls, store, keys, noAuth, prometheus, cluster, nodeName, config,
        }.WithExamples(
            "lifeline serve --store sqlite:/var/lib/lifeline/logs.db --keys keys.json --urls http://0.0.0.0:5180",
            "lifeline serve --cluster nats://h1:4222,nats://h2:4222,nats://h3:4222 --node-name h1 --keys keys.json --urls http://0.0.0.0:5180",
            "lifeline serve --no-auth",
            "LIFELINE_STORE=sqlite:logs.db LIFELINE_HUB__MAXENTRYBYTES=131072 lifeline serve --config lifeline.json");
        foreach (var (option, _) in limits)
        {
            option.Validators.Add(r => { if (r.Tokens.Count > 0 && long.TryParse(r.Tokens[^1].Value, out var v) && v <= 0) { r.AddError($"{r.Option.Name} must be positive"); } });
            command.Add(option);
        }

        command.SetAction(async (result, cancellationToken) =>
        {
            var environment = context.Environment;
            var flags = new List<KeyValuePair<string, string?>>
            {
                new("Urls", result.GetValue(urls)),
                new("Store", result.GetValue(store)),
                new("KeysFile", result.GetValue(keys)),
                new("NoAuth", result.GetValue(noAuth) ? "true" : null),
                new("Prometheus", result.GetValue(prometheus) ? "true" : null),
                new("Cluster", result.GetValue(cluster)),
                new("NodeName", result.GetValue(nodeName)),
            };
            flags.AddRange(limits.Select(l => new KeyValuePair<string, string?>(l.Key, result.GetValue(l.Option)?.ToString(System.Globalization.CultureInfo.InvariantCulture))));
            var settings = HubHostSettings.From(HubHostSettings.BuildConfiguration(result.GetValue(config), environment.Variables, flags));
            if (!settings.NoAuth && settings.KeysFile is null && string.IsNullOrEmpty(environment.GetVariable("LIFELINE_KEYS")))
            {
                throw new CliException("authentication is on but no keys are configured: pass --keys FILE, set LIFELINE_KEYS (key=scope,scope;...), or use --no-auth for local use", ExitCodes.Usage);
            }

            if (settings.NoAuth)
            {
                await environment.Error.WriteLineAsync("lifeline: WARNING: authentication is off (--no-auth): anyone on this machine can read and write logs; serving loopback only").ConfigureAwait(false);
            }

            var host = await HubHost.StartAsync(settings, environment, configure: null, cancellationToken).ConfigureAwait(false);
            await using var hostScope = host.ConfigureAwait(false);
            var address = host.Addresses[0];
            await environment.Out.WriteLineAsync($"lifeline hub listening on {string.Join(", ", host.Addresses)} ({settings.Describe()})").ConfigureAwait(false);
            await environment.Out.WriteLineAsync($"dashboard: {address}").ConfigureAwait(false);
            if (settings.Prometheus)
            {
                await environment.Out.WriteLineAsync($"metrics:   {new Uri(address, "metrics")}").ConfigureAwait(false);
            }

            await environment.Out.WriteLineAsync("Press Ctrl+C to stop.").ConfigureAwait(false);
            environment.Listening?.Invoke(address.ToString());
            await HubHost.WaitForStopAsync(cancellationToken).ConfigureAwait(false);
            await environment.Out.WriteLineAsync("stopping: draining subscribers and pending ingests...").ConfigureAwait(false);
            await host.DisposeAsync().ConfigureAwait(false);
            await environment.Out.WriteLineAsync("stopped").ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }
}
