namespace Lifeline.Hub.Streaming;

/// <summary>What <see cref="SubscriberQueue.Pump"/> sends through: the subscriber's socket and positions.</summary>
internal interface IFrameSender
{
    /// <summary>Whether every id of <paramref name="frame"/> was already served (catch-up got there first): skip it.</summary>
    bool IsSent(SharedFrame frame);

    /// <summary>
    /// Sends <paramref name="frame"/>; <see langword="false"/> when the socket failed (the close is requested). A send that
    /// does not complete at once is returned in <paramref name="pending"/>, which records it when it does.
    /// </summary>
    bool TrySendFrame(SharedFrame frame, out Task<bool>? pending);

    /// <summary>The pump failed unexpectedly: log it and request the close.</summary>
    void PumpFailed(Exception exception);
}
