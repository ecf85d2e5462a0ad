using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Lifeline.Testing.Tasks;

namespace Lifeline.Cli.Tests.Commands;

/// <summary>Issue 5 point 2: <c>lifeline serve</c> and its configuration sources.</summary>
public class ServeTests
{
    private static string Entry(int messageBytes) => $"{{\"message\":\"{new string('x', messageBytes)}\"}}\n";

    [Fact]
    public async Task Serve_LimitFromConfigFileEnvironmentAndFlag_LaterSourceWins()
    {
        var config = Path.Combine(Path.GetTempPath(), $"lifeline-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(config, """{"Store":"memory","Hub":{"MaxEntryBytes":1000}}""");
        try
        {
            // File alone: 1000 bytes.
            await using (var hub = await ServedHub.StartAsync("--config", config, "--no-auth"))
            {
                Assert.Equal(1, (await new CliRunner { Input = Entry(1500) }.RunAsync("send", "--url", hub.Url, "--ndjson")).ExitCode);
            }

            // The environment beats the file: 2000 bytes.
            var environment = new Dictionary<string, string> { ["LIFELINE_HUB__MAXENTRYBYTES"] = "2000", ["LIFELINE_NOAUTH"] = "true" };
            await using (var hub = await StartWithVariablesAsync(environment, "--config", config))
            {
                await hub.SendAsync(Entry(1500), "--ndjson");
                Assert.Equal(1, (await new CliRunner { Input = Entry(2500) }.RunAsync("send", "--url", hub.Url, "--ndjson")).ExitCode);
            }

            // The flag beats both: 3000 bytes.
            await using (var hub = await StartWithVariablesAsync(environment, "--config", config, "--max-entry-bytes", "3000"))
            {
                await hub.SendAsync(Entry(2500), "--ndjson");
            }
        }
        finally
        {
            File.Delete(config);
        }
    }

    private static async Task<ServedHub> StartWithVariablesAsync(Dictionary<string, string> variables, params string[] args)
    {
        var hub = await ServedHub.StartWithAsync(runner =>
        {
            foreach (var (name, value) in variables)
            {
                runner.Variables[name] = value;
            }
        }, args);
        return hub;
    }

    [Fact]
    public async Task Serve_StoreFromEnvironment_SqliteKeepsEntriesAcrossRestarts()
    {
        var db = Path.Combine(Path.GetTempPath(), $"lifeline-serve-{Guid.NewGuid():N}.db");
        try
        {
            var variables = new Dictionary<string, string> { ["LIFELINE_STORE"] = $"sqlite:{db}" };
            await using (var hub = await StartWithVariablesAsync(variables, "--no-auth"))
            {
                Assert.Contains($"(store sqlite:{db}, NO AUTHENTICATION)", hub.Runner.Out.ToString());
                await hub.SendAsync(ServedHub.Numbered(1, 5), "--ndjson");
            }

            await using (var hub = await StartWithVariablesAsync(variables, "--no-auth"))
            {
                Assert.Equal(5, (await hub.AllEntriesAsync()).Count);
            }
        }
        finally
        {
            foreach (var file in Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(db) + "*"))
            {
                File.Delete(file);
            }
        }
    }

    [Fact]
    public async Task Serve_NoAuth_SaysSoLoudly_AndStopsGracefully()
    {
        var hub = await ServedHub.StartAsync("--no-auth");

        var result = await hub.StopAsync();

        Assert.Contains("WARNING: authentication is off (--no-auth)", result.Error);
        Assert.Contains("AUTHENTICATION IS OFF", result.Error);
        Assert.EndsWith("stopped", result.Out.Trim());
    }

    [Theory]
    [InlineData("--no-auth --urls http://0.0.0.0:5180", "lifeline: --no-auth serves loopback only")]
    [InlineData("--store disk", "lifeline: invalid store 'disk': expected memory or sqlite:PATH")]
    [InlineData("--keys /nonexistent/keys.json", "lifeline: keys file '/nonexistent/keys.json' not found")]
    [InlineData("--urls nope", "lifeline: invalid url 'nope'")]
    [InlineData("--config /nonexistent.json", "lifeline: config file '/nonexistent.json' not found")]
    [InlineData("--max-entry-bytes -5", "lifeline: --max-entry-bytes must be positive")]
    [InlineData("--urls http://127.0.0.1:0", "lifeline: authentication is on but no keys are configured")]
    public async Task Serve_BadSetting_OneLine_UsageExit(string args, string expected)
    {
        var result = await CliRunner.RunOnceAsync(["serve", .. args.Split(' ')]);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith(expected, Assert.Single(result.ErrorLines));
    }

    /// <summary>
    /// Regression (issue 11, point 7): a keys file that was not valid JSON started the hub with no keys, so every
    /// request got 401. Now the hub refuses to start, with one line naming the file and the JSON error.
    /// </summary>
    [Fact]
    public async Task Serve_KeysFileNotJson_OneLineNamingFileAndError_UsageExit()
    {
        var dir = Directory.CreateTempSubdirectory("lifeline-badkeys-");
        try
        {
            var file = Path.Combine(dir.FullName, "keys.json");
            await File.WriteAllTextAsync(file, "{\"keys\":[{\"id\":\"a\",\"key\":\"s\",");

            // Before the fix the hub started (with no keys) and served until stopped: the timeout fails that fast.
            var result = await CliRunner.RunOnceAsync("serve", "--keys", file, "--urls", "http://127.0.0.1:0").OrTimeout(TimeSpan.FromSeconds(60));

            Assert.Equal(2, result.ExitCode);
            var line = Assert.Single(result.ErrorLines);
            Assert.StartsWith($"lifeline: keys file '{file}' is invalid: ", line);
            Assert.Contains("LineNumber: 0", line);
            Assert.DoesNotContain("listening", result.Out);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Serve_PortInUse_OneLine_Exit1()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        var port = ((IPEndPoint)taken.LocalEndPoint!).Port;

        var result = await CliRunner.RunOnceAsync("serve", "--no-auth", "--urls", $"http://127.0.0.1:{port}");

        Assert.Equal(1, result.ExitCode);
        // Issue 15 point 6: one line, not the host's four log lines about the same failure before it.
        Assert.Equal($"lifeline: cannot listen on http://127.0.0.1:{port}: the address is in use (choose another port; port 0 picks a free one)", Assert.Single(WithoutNoAuthWarning(result)));
    }

    /// <summary>Issue 15 point 6: the SQLite store opens before Kestrel binds, and a failed start left its file behind.</summary>
    [Fact]
    public async Task Serve_PortInUse_LeavesNoSqliteFile()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        var port = ((IPEndPoint)taken.LocalEndPoint!).Port;
        var directory = Directory.CreateTempSubdirectory("lifeline-serve-");
        try
        {
            var result = await CliRunner.RunOnceAsync("serve", "--no-auth", "--urls", $"http://127.0.0.1:{port}", "--store", $"sqlite:{Path.Combine(directory.FullName, "logs.db")}");

            Assert.Equal(1, result.ExitCode);
            Assert.Contains("the address is in use", Assert.Single(WithoutNoAuthWarning(result)));
            Assert.Empty(directory.GetFiles());
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>Issue 15 point 6: a bad SQLite directory said "unexpected error (SqliteException): unable to open database file", without the path.</summary>
    [Fact]
    public async Task Serve_SqliteDirectoryMissing_OneLineNamingThePath()
    {
        var path = $"/nonexistent-{Guid.NewGuid():N}/logs.db";

        var result = await CliRunner.RunOnceAsync("serve", "--no-auth", "--urls", "http://127.0.0.1:0", "--store", $"sqlite:{path}");

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(WithoutNoAuthWarning(result));
        Assert.StartsWith($"lifeline: cannot open the SQLite store '{path}': ", line);
        Assert.Contains("unable to open database file", line);
    }

    /// <summary>Issue 15 point 5: the Hub section goes through AddLifelineHub(section) and ValidateOnStart, as in any host.</summary>
    [Theory]
    [InlineData("""{"Hub":{"MaxEntryBytes":10}}""", "lifeline: invalid hub setting: MaxEntryBytes ('10') must be greater than or equal to '64'")]
    [InlineData("""{"Hub":{"MaxEntryBytes":"big"}}""", "lifeline: invalid hub setting: Failed to convert configuration value 'big' at 'Hub:MaxEntryBytes'")]
    public async Task Serve_BadHubSectionInConfig_OneLine_UsageExit(string json, string expected)
    {
        var config = Path.Combine(Path.GetTempPath(), $"lifeline-config-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(config, json);
        try
        {
            var result = await CliRunner.RunOnceAsync("serve", "--no-auth", "--urls", "http://127.0.0.1:0", "--config", config);

            Assert.Equal(2, result.ExitCode);
            Assert.StartsWith(expected, Assert.Single(WithoutNoAuthWarning(result)));
        }
        finally
        {
            File.Delete(config);
        }
    }

    /// <summary>Issue 15 point 5: <c>--prometheus</c> serves the hub's meter at /metrics through OpenTelemetry's exporter.</summary>
    [Fact]
    public async Task Serve_Prometheus_ScrapeShowsTheHubsCounters()
    {
        await using var hub = await ServedHub.StartAsync("--prometheus");
        await hub.SendAsync(ServedHub.Numbered(1, 3), "--ndjson");
        using var http = new HttpClient();

        using var response = await http.GetAsync($"{hub.Url}/metrics");
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(response.IsSuccessStatusCode, $"{response.StatusCode}: {text}");
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
        // OpenTelemetry listens to meters by name process-wide: other tests' hubs in this process add to the count.
        var ingested = Regex.Match(text, @"(?m)^lifeline_hub_entries_ingested_total\{otel_scope_name=""Lifeline.Hub""\} (\d+)");
        Assert.True(ingested.Success, text);
        Assert.True(long.Parse(ingested.Groups[1].Value, CultureInfo.InvariantCulture) >= 3, ingested.Value);
        Assert.Contains($"metrics:   {hub.Url}/metrics", hub.Runner.Out.ToString());
    }

    [Fact]
    public async Task Serve_WithoutPrometheus_NoMetricsEndpoint()
    {
        await using var hub = await ServedHub.StartAsync();
        using var http = new HttpClient();

        using var response = await http.GetAsync($"{hub.Url}/metrics");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    /// <summary>Standard error less the warning that --no-auth always prints first.</summary>
    private static IEnumerable<string> WithoutNoAuthWarning(CliResult result) =>
        result.ErrorLines.Where(line => !line.StartsWith("lifeline: WARNING: authentication is off", StringComparison.Ordinal));
}
