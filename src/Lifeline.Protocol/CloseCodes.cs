namespace Lifeline.Protocol;

/// <summary>WebSocket close codes used by the hub (docs/protocol.md, "Close codes").</summary>
/// <remarks>4000-4099 may be retried; 4400-4499 mean "do not retry without a change".</remarks>
public static class CloseCodes
{
    /// <summary>Normal closure; do not retry.</summary>
    public const int Normal = 1000;

    /// <summary>Hub shutting down; the reason carries <c>resumeAfter</c> and a jittered <c>retryAfterMs</c>.</summary>
    public const int GoingAway = 1001;

    /// <summary>Binary frame where text is expected.</summary>
    public const int UnsupportedData = 1003;

    /// <summary>Text frame is not valid UTF-8.</summary>
    public const int InvalidPayload = 1007;

    /// <summary>Policy violation.</summary>
    public const int PolicyViolation = 1008;

    /// <summary>Message larger than the limit.</summary>
    public const int MessageTooBig = 1009;

    /// <summary>Hub internal error; retry.</summary>
    public const int InternalError = 1011;

    /// <summary>Slow consumer closed; the reason carries <c>resumeAfter</c>; retry.</summary>
    public const int SlowConsumer = 4008;

    /// <summary>Flood: too many messages from this connection; retry with backoff.</summary>
    public const int Flood = 4029;

    /// <summary>Invalid message (malformed JSON, unknown type, data frame on a stream).</summary>
    public const int InvalidMessage = 4400;

    /// <summary>Key unknown, revoked or expired.</summary>
    public const int Unauthorized = 4401;

    /// <summary>Key lacks the scope.</summary>
    public const int Forbidden = 4403;

    /// <summary>Whether a client may reconnect after this close code without changing anything.</summary>
    public static bool IsRetryable(int code) => code is GoingAway or InternalError or (>= 4000 and < 4100);
}
