using System.Globalization;
using Lifeline.Hub;
using Microsoft.Extensions.Configuration;

namespace Lifeline.Cli.Hosting;

/// <summary>
/// What <c>serve</c> and <c>demo</c> host, read with ASP.NET Core configuration conventions. Sources, later wins:
/// the JSON file of <c>--config</c>, environment variables prefixed <c>LIFELINE_</c> (<c>__</c> separates sections:
/// <c>LIFELINE_STORE</c>, <c>LIFELINE_HUB__MAXENTRYBYTES</c>), then the command's flags. Keys: <c>Urls</c>,
/// <c>Store</c> (<c>memory</c> or <c>sqlite:PATH</c>), <c>KeysFile</c>, <c>NoAuth</c>, <c>Prometheus</c>, <c>Cluster</c>
/// (NATS URLs, <c>,</c>-separated), <c>NodeName</c>, and section <c>Hub</c> bound to
/// <see cref="HubOptions"/> (limits such as <c>MaxEntryBytes</c>, <c>SubscriberQueueBytes</c>, <c>MemoryMaxEntries</c>).
/// </summary>
internal sealed record HubHostSettings
{
    public const string VariablePrefix = "LIFELINE_";

    public IReadOnlyList<string> Urls { get; init; } = [HubEndpoint.DefaultUrl];

    public HubStoreKind Store { get; init; } = HubStoreKind.Memory;

    public string? SqlitePath { get; init; }

    public string? KeysFile { get; init; }

    public bool NoAuth { get; init; }

    /// <summary>Serve the hub's meter (and the host's) at <c>/metrics</c> in Prometheus' text format, through OpenTelemetry.</summary>
    public bool Prometheus { get; init; }

    /// <summary>The NATS JetStream servers of the cluster this node joins; empty for a single hub.</summary>
    public IReadOnlyList<string> Cluster { get; init; } = [];

    /// <summary>This node's name in the cluster; <see langword="null"/> for <see cref="HubOptions.ClusterNodeName"/>'s default.</summary>
    public string? NodeName { get; init; }

    /// <summary>The <c>Hub</c> section, applied to <see cref="HubOptions"/> after the settings above.</summary>
    public IConfigurationSection? Hub { get; init; }

    /// <summary>Builds the configuration from file, environment and flags (flags as configuration keys, null values skipped).</summary>
    public static IConfiguration BuildConfiguration(string? configFile, IReadOnlyDictionary<string, string> variables, IEnumerable<KeyValuePair<string, string?>> flags)
    {
        var builder = new ConfigurationBuilder();
        if (configFile is not null)
        {
            if (!File.Exists(configFile))
            {
                throw new CliException($"config file '{configFile}' not found", ExitCodes.Usage);
            }

            builder.AddJsonFile(Path.GetFullPath(configFile), optional: false, reloadOnChange: false);
        }

        builder.AddInMemoryCollection(variables
            .Where(v => v.Key.StartsWith(VariablePrefix, StringComparison.OrdinalIgnoreCase) && v.Key.Length > VariablePrefix.Length)
            .Select(v => new KeyValuePair<string, string?>(v.Key[VariablePrefix.Length..].Replace("__", ":", StringComparison.Ordinal), v.Value)));
        builder.AddInMemoryCollection(flags.Where(f => f.Value is not null));
        try
        {
            return builder.Build();
        }
        catch (Exception exception) when (exception is InvalidDataException or FormatException or System.Text.Json.JsonException)
        {
            throw new CliException($"config file '{configFile}' is not valid JSON: {exception.Message}", ExitCodes.Usage);
        }
    }

    /// <summary>Reads and checks the settings; every problem is a usage error naming the setting.</summary>
    public static HubHostSettings From(IConfiguration configuration)
    {
        var urls = (configuration["Urls"] ?? HubEndpoint.DefaultUrl).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var url in urls)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new CliException($"invalid url '{url}' in Urls/--urls: expected http://HOST:PORT such as {HubEndpoint.DefaultUrl}", ExitCodes.Usage);
            }
        }

        var store = configuration["Store"] ?? "memory";
        var (kind, path) = store switch
        {
            _ when store.Equals("memory", StringComparison.OrdinalIgnoreCase) => (HubStoreKind.Memory, (string?)null),
            _ when store.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase) && store.Length > 7 => (HubStoreKind.Sqlite, store[7..]),
            _ => throw new CliException($"invalid store '{store}': expected memory or sqlite:PATH", ExitCodes.Usage),
        };
        var noAuth = ParseBool(configuration["NoAuth"], "NoAuth/--no-auth");
        var keysFile = configuration["KeysFile"];
        if (noAuth && keysFile is not null)
        {
            throw new CliException("--no-auth and a keys file exclude each other: choose one", ExitCodes.Usage);
        }

        if (keysFile is not null && !File.Exists(keysFile))
        {
            throw new CliException($"keys file '{keysFile}' not found", ExitCodes.Usage);
        }

        if (keysFile is not null)
        {
            try
            {
                // Checked before the host starts, so the refusal is this one line (the hub refuses too, after logging).
                KeysFileException.ThrowIfInvalid(keysFile);
            }
            catch (KeysFileException e)
            {
                throw new CliException(e.Message, ExitCodes.Usage, e);
            }
        }

        if (noAuth && urls.Any(u => !IsLoopback(new Uri(u))))
        {
            throw new CliException("--no-auth serves loopback only: listen on 127.0.0.1, [::1] or localhost (for example --urls http://127.0.0.1:5180)", ExitCodes.Usage);
        }

        var prometheus = ParseBool(configuration["Prometheus"], "Prometheus/--prometheus");
        var cluster = ParseCluster(configuration["Cluster"]);
        var nodeName = configuration["NodeName"];
        if (nodeName is not null && (cluster.Count == 0 || nodeName.Length == 0 || nodeName.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))))
        {
            throw new CliException(cluster.Count == 0
                ? "--node-name/NodeName names a node of a cluster: pass --cluster too"
                : $"invalid node name '{nodeName}' in NodeName/--node-name: expected a non-empty name without spaces", ExitCodes.Usage);
        }

        return new HubHostSettings
        {
            Urls = urls, Store = kind, SqlitePath = path, KeysFile = keysFile, NoAuth = noAuth, Prometheus = prometheus,
            Cluster = cluster, NodeName = nodeName, Hub = configuration.GetSection("Hub"),
        };
    }

    /// <summary>The engine servers of <c>--cluster</c>: <c>nats://HOST:PORT</c> (or <c>tls://</c>), <c>,</c>-separated.</summary>
    private static List<string> ParseCluster(string? value)
    {
        if (value is null)
        {
            return [];
        }

        var servers = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        if (servers.Count == 0)
        {
            throw new CliException("Cluster/--cluster is empty: expected nats://HOST:PORT,nats://HOST:PORT,...", ExitCodes.Usage);
        }

        foreach (var server in servers)
        {
            if (!Uri.TryCreate(server, UriKind.Absolute, out var uri) || uri.Scheme is not ("nats" or "tls") || uri.Host.Length == 0 || uri.Port <= 0)
            {
                throw new CliException($"invalid cluster server '{server}' in Cluster/--cluster: expected nats://HOST:PORT such as nats://10.0.0.1:4222", ExitCodes.Usage);
            }
        }

        return servers;
    }

    /// <summary>
    /// Applies the settings above to the hub's options, after the hub has bound the <see cref="Hub"/> section
    /// (<c>AddLifelineHub(section)</c>, as any host does); the hub validates them when it starts.
    /// </summary>
    public void Apply(HubOptions options)
    {
        options.Store = Store;
        if (SqlitePath is not null)
        {
            options.SqlitePath = SqlitePath;
        }

        options.RequireAuthentication = !NoAuth;
        options.KeysFile = KeysFile;
        if (Cluster.Count > 0)
        {
            options.ClusterUrls = [.. Cluster];
            if (NodeName is not null)
            {
                options.ClusterNodeName = NodeName;
            }
        }
    }

    public string Describe() => (Store == HubStoreKind.Sqlite ? $"store sqlite:{SqlitePath}" : "store memory")
        + (Cluster.Count > 0 ? $", cluster node {NodeName ?? new HubOptions().ClusterNodeName} on {string.Join(',', Cluster)}" : string.Empty)
        + (NoAuth ? ", NO AUTHENTICATION" : KeysFile is not null ? $", keys from {KeysFile}" : ", keys from LIFELINE_KEYS");

    private static bool IsLoopback(Uri uri) => uri.IsLoopback || uri.Host is "127.0.0.1" or "[::1]";

    private static bool ParseBool(string? value, string name) => value switch
    {
        null => false,
        _ when bool.TryParse(value, out var flag) => flag,
        "1" => true,
        "0" => false,
        _ => throw new CliException(string.Create(CultureInfo.InvariantCulture, $"invalid {name} '{value}': expected true or false"), ExitCodes.Usage),
    };
}
