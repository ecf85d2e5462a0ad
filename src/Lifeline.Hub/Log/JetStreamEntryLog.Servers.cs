using System.Globalization;

namespace Lifeline.Hub.Log;

/// <summary>
/// Which engine servers this node knows and which one its connection is open to, for <see cref="Engine"/>
/// (<c>/v1/stats</c>): the configured servers, then those the connected server advertises (its <c>connect_urls</c>:
/// the cluster's other servers, also ones added after the node started), each once by host and port.
/// </summary>
internal sealed partial class JetStreamEntryLog
{
    // Written by the NATS connection's connect loop before each dial (one at a time), read by Engine: "host:port".
    private string? _dialed;

    /// <summary>
    /// NATS.Net's hook before each TCP connect, in every connect and reconnect. No dial happens while the connection is
    /// open, so once it is open the last dial names the server it is open to.
    /// </summary>
    private ValueTask<(string Host, int Port)> OnDialingAsync((string Host, int Port) target)
    {
        Volatile.Write(ref _dialed, HostPort(target.Host, target.Port));
        return ValueTask.FromResult(target);
    }

    /// <summary>The configured servers, then the advertised ones not configured (as <c>nats://host:port</c>).</summary>
    private List<string> KnownServers()
    {
        var known = new List<string>(_options.ClusterUrls);
        var seen = new HashSet<string>(known.Select(HostPortOf), StringComparer.OrdinalIgnoreCase);
        foreach (var advertised in _nats.ServerInfo?.ClientConnectUrls ?? [])
        {
            if (seen.Add(advertised))
            {
                known.Add("nats://" + advertised);
            }
        }

        return known;
    }

    /// <summary>The known server URL the open connection dialed, or <see langword="null"/> when not connected.</summary>
    private static string? ConnectedUrl(List<string> known, string? dialed) =>
        dialed is null ? null : known.Find(u => string.Equals(HostPortOf(u), dialed, StringComparison.OrdinalIgnoreCase)) ?? "nats://" + dialed;

    private static string HostPortOf(string url)
    {
        var uri = new Uri(url);
        return HostPort(uri.Host, uri.Port);
    }

    private static string HostPort(string host, int port) => string.Create(CultureInfo.InvariantCulture, $"{host}:{port}");
}
