using System.Linq.Expressions;
using System.Reflection;

namespace Lifeline.Testing.Leaks;

/// <summary>
/// Compiled readers of the private fields and the one internal method <see cref="RuntimeInternals"/> found by reflection.
/// A scan reads every runtime timer and many execution contexts; by reflection each read costs about a microsecond and
/// boxes, which made a clean check among 1,000 pending delays of other tests cost about a millisecond. Compiled once
/// (from the same <see cref="FieldInfo"/>s, so a renamed member is still reported as unsupported, never misread), a read
/// is a field load. Only used once <see cref="RuntimeInternals.IsSupported"/> has said every member exists. Thread-safe.
/// </summary>
internal static class FieldReaders
{
    /// <summary>A reader of an instance field, its owner passed as an object.</summary>
    public static Func<object, T> Field<T>(FieldInfo field)
    {
        var owner = Expression.Parameter(typeof(object), "owner");
        var read = Expression.Field(Expression.Convert(owner, field.DeclaringType!), field);
        return Expression.Lambda<Func<object, T>>(Expression.Convert(read, typeof(T)), owner).Compile();
    }

    /// <summary>
    /// A caller of <c>IAsyncLocalValueMap.TryGetValue(IAsyncLocal key, out object? value)</c>: the value stored under
    /// <c>key</c>, or null. Reading the map directly runs nothing under the context, so no AsyncLocal change handler fires.
    /// </summary>
    public static Func<object, object, object?> TryGetValue(MethodInfo tryGetValue)
    {
        var map = Expression.Parameter(typeof(object), "map");
        var key = Expression.Parameter(typeof(object), "key");
        var value = Expression.Variable(typeof(object), "value");
        var call = Expression.Call(
            Expression.Convert(map, tryGetValue.DeclaringType!),
            tryGetValue,
            Expression.Convert(key, tryGetValue.GetParameters()[0].ParameterType),
            value);
        var body = Expression.Block([value], Expression.Condition(call, value, Expression.Constant(null, typeof(object))));
        return Expression.Lambda<Func<object, object, object?>>(body, map, key).Compile();
    }
}
