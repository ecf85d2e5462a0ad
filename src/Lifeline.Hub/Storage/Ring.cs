namespace Lifeline.Hub.Storage;

/// <summary>
/// A growable circular buffer, oldest first: what the memory store and the recent-frames cache keep their items in.
/// Invariant: items <c>0..Count-1</c>, oldest to newest, are <c>_items[(_head + i) % _items.Length]</c>. Not thread-safe:
/// its owners lock.
/// </summary>
internal sealed class Ring<T>(int capacity)
    where T : class
{
    private T[] _items = new T[Math.Max(1, capacity)];
    private int _head;

    public int Count { get; private set; }

    public int Capacity => _items.Length;

    /// <summary>The item <paramref name="index"/> places after the oldest.</summary>
    public T this[int index] => _items[(_head + index) % _items.Length];

    /// <summary>Adds <paramref name="item"/> as the newest; the ring must not be full (grow it or remove the oldest first).</summary>
    public void Add(T item)
    {
        if (Count == _items.Length)
        {
            throw new InvalidOperationException("the ring is full");
        }

        _items[(_head + Count) % _items.Length] = item;
        Count++;
    }

    /// <summary>Removes and returns the oldest item.</summary>
    public T RemoveOldest()
    {
        var oldest = _items[_head];
        _items[_head] = null!;
        _head = (_head + 1) % _items.Length;
        Count--;
        return oldest;
    }

    /// <summary>Moves the items to a buffer of <paramref name="capacity"/> (at least <see cref="Count"/>).</summary>
    public void Grow(int capacity)
    {
        var bigger = new T[capacity];
        for (var i = 0; i < Count; i++)
        {
            bigger[i] = this[i];
        }

        _items = bigger;
        _head = 0;
    }

    public void Clear()
    {
        Array.Clear(_items);
        _head = 0;
        Count = 0;
    }
}
