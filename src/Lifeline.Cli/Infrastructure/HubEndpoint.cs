using System.Globalization;
using System.Text;

namespace Lifeline.Cli;

/// <summary>Where the hub is and which key to present: from <c>--url</c>/<c>--key</c>, else LIFELINE_URL/LIFELINE_KEY, else the local hub.</summary>
internal sealed record HubEndpoint(Uri BaseUri, string? Key)
{
    /// <summary>The local hub that <c>lifeline serve</c> and <c>lifeline demo</c> listen on by default.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5180";

    /// <summary>Parses a hub URL; http(s) and ws(s) are accepted, anything else is a usage error naming the value.</summary>
    public static HubEndpoint Create(string url, string? key, string origin)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https" or "ws" or "wss") || string.IsNullOrEmpty(uri.Host))
        {
            throw new CliException($"invalid {origin} '{url}': expected an absolute http:// or https:// URL such as {DefaultUrl}", ExitCodes.Usage);
        }

        var builder = new UriBuilder(uri) { Scheme = uri.Scheme is "wss" or "https" ? "https" : "http", Query = string.Empty, Fragment = string.Empty };
        if (!builder.Path.EndsWith('/'))
        {
            builder.Path += "/";
        }

        return new HubEndpoint(builder.Uri, string.IsNullOrWhiteSpace(key) ? null : key.Trim());
    }

    /// <summary>An HTTP URL for <paramref name="path"/> (relative, e.g. <c>v1/stats</c>).</summary>
    public Uri Http(string path) => new(BaseUri, path);

    /// <summary>A WebSocket URL for <paramref name="path"/> with the given query parameters (values escaped).</summary>
    public Uri WebSocket(string path, IEnumerable<KeyValuePair<string, string>> query)
    {
        var builder = new UriBuilder(new Uri(BaseUri, path)) { Scheme = BaseUri.Scheme == "https" ? "wss" : "ws" };
        var text = new StringBuilder();
        foreach (var (name, value) in query)
        {
            text.Append(text.Length == 0 ? string.Empty : "&").Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value));
        }

        builder.Query = text.ToString();
        return builder.Uri;
    }

    public override string ToString() => BaseUri.GetLeftPart(UriPartial.Authority).ToString(CultureInfo.InvariantCulture);
}
