namespace Lifeline.Hub.Log;

/// <summary>
/// The replicated log's engine (NATS JetStream) did not take an append in time: nothing was acknowledged. Publishes are
/// answered <c>unavailable</c> (HTTP 503, or an <c>error</c> message), and a publisher retries with the same key: the
/// append may still have been stored, in which case the retry is answered with its ids (docs/cluster.md, "Failures").
/// </summary>
internal sealed class EngineUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
