namespace Lifeline.Hub.Client;

/// <summary>The hub's acknowledgement of a published batch: the entries are in its store with these ids.</summary>
/// <param name="Count">How many entries were stored.</param>
/// <param name="FirstId">The id of the first entry of the batch.</param>
/// <param name="LastId">The id of the last entry of the batch; the batch's ids are contiguous.</param>
public readonly record struct PublishAck(int Count, long FirstId, long LastId);
