using System.CommandLine;
using System.Security.Cryptography;
using System.Text.Json;
using Lifeline.Cli.Generator;
using Lifeline.Cli.Hosting;
using Lifeline.Cli.Hub;

namespace Lifeline.Cli.Commands;

/// <summary>
/// <c>lifeline demo</c>: an embedded hub on loopback with a memory store, a generated admin key (or none), a
/// synthetic log generator publishing to it, and the dashboard URL; runs until Ctrl+C, then stops the generator,
/// drains the hub and exits 0.
/// </summary>
internal static class DemoCommand
{
    public static Command Create(CommandContext context)
    {
        var port = new Option<int>("--port", "-p") { Description = "Loopback port; 0 picks a free one", DefaultValueFactory = _ => 5180, HelpName = "port" }.InRange(0, 65535);
        var noAuth = new Option<bool>("--no-auth") { Description = "No key at all (loopback only)" };
        var rate = new Option<double>("--rate") { Description = "Generated entries per second, plus a burst every 20 s; 0 generates nothing", DefaultValueFactory = _ => 20, HelpName = "per-second" }.InRange(0, 100_000);
        var command = new Command("demo", "Run a hub on loopback with generated logs and print the dashboard's URL; Ctrl+C stops it.")
        {
            port, noAuth, rate,
        }.WithExamples("lifeline demo", "lifeline demo --port 0 --rate 200 --no-auth");
        command.SetAction(async (result, cancellationToken) =>
        {
            var environment = context.Environment;
            var key = result.GetValue(noAuth) ? null : "ll_" + Base64Url(RandomNumberGenerator.GetBytes(24));
            var keysFile = key is null ? null : WriteKeysFile(key);
            try
            {
                var settings = new HubHostSettings { Urls = [$"http://127.0.0.1:{result.GetValue(port)}"], NoAuth = key is null, KeysFile = keysFile };
                // Only the generated key: not whatever LIFELINE_KEYS holds in this shell.
                var host = await HubHost.StartAsync(settings, environment, o => o.KeysEnvironmentVariable = null, cancellationToken).ConfigureAwait(false);
                await using var hostScope = host.ConfigureAwait(false);
                var address = host.Addresses[0];
                var dashboard = key is null ? address.ToString() : $"{address}?access_token={key}";
                await environment.Out.WriteLineAsync($"""
                    Lifeline demo hub on {address} (memory store, {(key is null ? "NO AUTHENTICATION, loopback only" : "admin key below")})
                      dashboard: {dashboard}
                    {(key is null ? string.Empty : $"  key:       {key}{Environment.NewLine}")}  try:       lifeline tail --url {address}{(key is null ? string.Empty : $" --key {key}")} --follow
                    Press Ctrl+C to stop.
                    """).ConfigureAwait(false);
                environment.Listening?.Invoke(dashboard);

                using var stopGenerator = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var generating = RunGeneratorAsync(new HubEndpoint(address, key), result.GetValue(rate), environment, stopGenerator.Token);
                await HubHost.WaitForStopAsync(cancellationToken).ConfigureAwait(false);

                // Stop order: the generator first (nothing publishes into a draining hub), then the hub.
                await environment.Out.WriteLineAsync("stopping...").ConfigureAwait(false);
                await stopGenerator.CancelAsync().ConfigureAwait(false);
                await generating.ConfigureAwait(false);
                await host.DisposeAsync().ConfigureAwait(false);
                await environment.Out.WriteLineAsync("stopped").ConfigureAwait(false);
                return ExitCodes.Ok;
            }
            finally
            {
                if (keysFile is not null)
                {
                    File.Delete(keysFile);
                }
            }
        });
        return command;
    }

    internal static async Task RunGeneratorAsync(HubEndpoint endpoint, double rate, CliEnvironment environment, CancellationToken cancellationToken)
    {
        if (rate <= 0)
        {
            return;
        }

        using var http = new HubHttpClient(endpoint, TimeSpan.FromSeconds(10));
        var generator = new SyntheticLogGenerator(new LogGeneratorOptions { Rate = rate, Time = environment.Time });
        var client = $"demo-{Guid.NewGuid():N}";
        var batch = 0;
        var reported = false;
        await generator.RunAsync(
            (body, ct) => http.PublishAsync(body, $"{client}/{++batch}", ct),
            exception =>
            {
                if (!reported)
                {
                    reported = true; // once: a stopping hub would otherwise print a line per tick
                    environment.Error.WriteLine($"lifeline: generator: {CliErrors.Describe(exception, endpoint).Message}");
                }
            },
            cancellationToken).ConfigureAwait(false);
    }

    internal static string WriteKeysFile(string key)
    {
        var path = Path.Combine(Path.GetTempPath(), $"lifeline-demo-{Guid.NewGuid():N}.json");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // the key is a secret
        }

        using (var stream = new FileStream(path, options))
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteStartArray("keys");
            json.WriteStartObject();
            json.WriteString("id", "demo");
            json.WriteString("key", key);
            json.WriteStartArray("scopes");
            json.WriteStringValue("admin");
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }

        return path;
    }

    internal static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
