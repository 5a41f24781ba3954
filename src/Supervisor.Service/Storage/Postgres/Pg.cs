using System.Data;
using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace Supervisor.Service.Storage.Postgres;

/// <summary>Dapper parameters of an exact PostgreSQL type, where the type Dapper would infer is not the column's.</summary>
static class Pg
{
    /// <summary>A <c>timestamptz</c>: a UTC <see cref="DateTime"/> written as the instant it is.</summary>
    public static SqlMapper.ICustomQueryParameter TimestampTz(DateTime value) => new Typed(value, NpgsqlDbType.TimestampTz);

    /// <summary>A JSON document for a <c>jsonb</c> column.</summary>
    public static SqlMapper.ICustomQueryParameter Jsonb(string json) => new Typed(json, NpgsqlDbType.Jsonb);

    /// <summary>An <c>interval</c> that may be NULL (Dapper would send a <see cref="TimeSpan"/> as a <c>time</c>).</summary>
    public static SqlMapper.ICustomQueryParameter Interval(TimeSpan? value) => new Typed((object?)value ?? DBNull.Value, NpgsqlDbType.Interval);

    /// <summary>A <c>timestamptz</c> that may be NULL.</summary>
    public static SqlMapper.ICustomQueryParameter TimestampTz(DateTime? value) => new Typed((object?)value ?? DBNull.Value, NpgsqlDbType.TimestampTz);

    /// <summary>A <c>uuid</c> that may be NULL.</summary>
    public static SqlMapper.ICustomQueryParameter Uuid(Guid? value) => new Typed((object?)value ?? DBNull.Value, NpgsqlDbType.Uuid);

    sealed class Typed(object value, NpgsqlDbType type) : SqlMapper.ICustomQueryParameter
    {
        public void AddParameter(IDbCommand command, string name) =>
            command.Parameters.Add(new NpgsqlParameter(name, type) { Value = value });
    }
}
