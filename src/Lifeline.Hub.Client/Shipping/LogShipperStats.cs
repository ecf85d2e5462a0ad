namespace Lifeline.Hub.Client.Shipping;

/// <summary>Counters of a log shipper since it was created.</summary>
/// <param name="Enqueued">Entries accepted from the application.</param>
/// <param name="Waiting">Entries in the buffer, not yet in a batch.</param>
/// <param name="InFlight">Entries in the batch being published (acknowledgement pending).</param>
/// <param name="Acknowledged">Entries the hub has acknowledged (stored), summary entries included.</param>
/// <param name="Dropped">Entries dropped because the buffer was full (the oldest waiting ones).</param>
/// <param name="Rejected">Entries the hub refused as invalid (each logged to the diagnostics logger).</param>
/// <param name="Lost">Entries still unacknowledged when the shutdown deadline passed, or logged after shutdown began.</param>
internal readonly record struct LogShipperStats(
    long Enqueued, int Waiting, int InFlight, long Acknowledged, long Dropped, long Rejected, long Lost);
