namespace Lifeline.Testing.Faults;

/// <summary>What a half-open direction of a <see cref="FaultProxy"/> does with the bytes its sender writes.</summary>
public enum HalfOpenMode
{
    /// <summary>
    /// The proxy reads them and discards them: the sender's writes keep completing, as when a network loses bytes
    /// past the first hop (counted in <see cref="FaultProxy.DroppedBytes"/>).
    /// </summary>
    Discard,

    /// <summary>
    /// The proxy stops reading: the bytes back up into the sender's socket buffers until its writes block, as when the
    /// peer vanished without a reset and nothing is acknowledged any more (the sender's TCP window stays closed). A
    /// chunk read just before the stall is held, not lost; <see cref="FaultProxy.Heal"/> lets everything flow again.
    /// </summary>
    Stall,
}
