namespace Lifeline.Protocol;

/// <summary>The <c>error</c> codes of HTTP error bodies and ingest <c>error</c> messages (docs/protocol.md, "Authentication").</summary>
public static class ErrorCodes
{
    /// <summary>No key, or an unknown, revoked or expired key.</summary>
    public const string Unauthorized = "unauthorized";

    /// <summary>The key lacks the scope.</summary>
    public const string Forbidden = "forbidden";

    /// <summary>The body or message is not valid JSON of the expected shape.</summary>
    public const string InvalidJson = "invalid_json";

    /// <summary>An entry is invalid (missing message, invalid level, too long source, ...).</summary>
    public const string InvalidEntry = "invalid_entry";

    /// <summary>An entry, a message or a body is larger than its limit.</summary>
    public const string TooLarge = "too_large";

    /// <summary>The request's content type is not JSON or NDJSON.</summary>
    public const string UnsupportedMediaType = "unsupported_media_type";

    /// <summary>A filter parameter is invalid.</summary>
    public const string InvalidFilter = "invalid_filter";

    /// <summary>The HTTP request itself is malformed (a broken chunked body, a body that ends before its length).</summary>
    public const string BadRequest = "bad_request";

    /// <summary>The hub is shutting down.</summary>
    public const string Unavailable = "unavailable";
}
