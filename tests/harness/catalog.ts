/**
 * The fake's static catalogue: server types (SPEC §5.2 plus the arm64 CAX types), locations, datacenters and images,
 * shaped after the examples in Hetzner's OpenAPI document. Prism checks every one of them.
 */

/** [name, cores, memory GB, disk GB, cpu, architecture, net price per hour, net monthly cap] (EUR, VAT excluded). */
export const SERVER_TYPES = [
  ["cx23", 2, 4, 40, "shared", "x86", "0.0056", "3.49"],
  ["cx33", 4, 8, 80, "shared", "x86", "0.0088", "5.49"],
  ["cx53", 16, 32, 320, "shared", "x86", "0.0284", "17.49"],
  ["cpx22", 2, 4, 80, "shared", "x86", "0.0104", "6.49"],
  ["cpx32", 4, 8, 160, "shared", "x86", "0.0176", "10.99"],
  ["cpx62", 16, 32, 640, "shared", "x86", "0.0577", "35.99"],
  ["ccx13", 2, 8, 80, "dedicated", "x86", "0.0200", "12.49"],
  ["ccx23", 4, 16, 160, "dedicated", "x86", "0.0392", "24.49"],
  ["ccx33", 8, 32, 240, "dedicated", "x86", "0.0777", "48.49"],
  ["ccx43", 16, 64, 360, "dedicated", "x86", "0.1553", "96.99"],
  ["ccx53", 32, 128, 600, "dedicated", "x86", "0.3106", "193.99"],
  ["ccx63", 48, 192, 960, "dedicated", "x86", "0.4659", "290.99"],
  ["cax11", 2, 4, 40, "shared", "arm", "0.0064", "3.99"],
  ["cax21", 4, 8, 80, "shared", "arm", "0.0112", "6.99"],
  ["cax31", 8, 16, 160, "shared", "arm", "0.0224", "13.99"],
  ["cax41", 16, 32, 320, "shared", "arm", "0.0448", "27.99"],
] as const;

export const LOCATIONS = [
  ["fsn1", "Falkenstein DC Park 1", "DE", "Falkenstein", 50.47612, 12.370071, "eu-central"],
  ["nbg1", "Nuremberg DC Park 1", "DE", "Nuremberg", 49.452102, 11.076665, "eu-central"],
  ["hel1", "Helsinki DC Park 1", "FI", "Helsinki", 60.169855, 24.938379, "eu-central"],
] as const;

/** [id, name, os_flavor, os_version, architecture] */
export const IMAGES = [
  [161547269, "ubuntu-24.04", "ubuntu", "24.04", "x86"],
  [161547270, "ubuntu-24.04", "ubuntu", "24.04", "arm"],
  [67794396, "ubuntu-22.04", "ubuntu", "22.04", "x86"],
  [114690387, "debian-12", "debian", "12", "x86"],
] as const;

export type Architecture = "x86" | "arm";

/** A reference by id (number or numeric string) or by name. */
function byRef<T extends readonly unknown[]>(rows: readonly T[], ref: unknown, id: (i: number) => number) {
  const text = String(ref);
  const index = rows.findIndex((row, i) => row[0] === text || String(id(i)) === text);
  return index < 0 ? null : index;
}

export function serverTypeIndex(ref: unknown): number | null {
  return byRef(SERVER_TYPES, ref, (i) => i + 1);
}

export function locationIndex(ref: unknown): number | null {
  return byRef(LOCATIONS, ref, (i) => i + 1);
}

/** Datacenters are `<location>-dc14`, one per location, id = location id. */
export function datacenterLocationIndex(ref: unknown): number | null {
  const text = String(ref);
  const index = LOCATIONS.findIndex(([name], i) => `${name}-dc14` === text || String(i + 1) === text);
  return index < 0 ? null : index;
}

export function imageIndex(ref: unknown, architecture: Architecture): number | null {
  const text = String(ref);
  const index = IMAGES.findIndex(([id, name, , , arch]) =>
    String(id) === text || (name === text && arch === architecture)
  );
  return index < 0 ? null : index;
}

/** VAT the fake adds for its gross prices (19 %, Germany). */
export const VAT_PERCENT = 19;

/**
 * A decimal string as Hetzner writes prices: net with 10 decimals ("0.0200000000"), gross with 16. Computed
 * in millionths, so the gross of a 4-decimal net price is exact.
 */
export function priceDecimal(net: string, kind: "net" | "gross"): string {
  const micros = Math.round(Number(net) * 1e6) * (kind === "gross" ? 100 + VAT_PERCENT : 100) / 100;
  const digits = kind === "net" ? 10 : 16;
  const whole = Math.floor(micros / 1e6);
  const fraction = String(Math.round(micros - whole * 1e6)).padStart(6, "0").padEnd(digits, "0");
  return `${whole}.${fraction}`;
}

export function serverTypeJson(index: number) {
  const [name, cores, memory, disk, cpu, arch, hourly, monthly] = SERVER_TYPES[index];
  return {
    id: index + 1,
    name,
    description: name.toUpperCase(),
    cores,
    memory,
    disk,
    deprecated: false,
    deprecation: null,
    prices: LOCATIONS.map(([location]) => ({
      location,
      price_hourly: { net: priceDecimal(hourly, "net"), gross: priceDecimal(hourly, "gross") },
      price_monthly: { net: priceDecimal(monthly, "net"), gross: priceDecimal(monthly, "gross") },
      included_traffic: 21990232555520,
      price_per_tb_traffic: { net: "1.0000000000", gross: "1.1900000000000000" },
    })),
    storage_type: "local",
    cpu_type: cpu,
    category: cpu === "dedicated" ? "dedicated" : "shared",
    architecture: arch,
    locations: LOCATIONS.map(([location], i) => ({
      id: i + 1,
      name: location,
      deprecation: null,
      recommended: true,
      available: true,
    })),
  };
}

export function locationJson(index: number) {
  const [name, description, country, city, latitude, longitude, network_zone] = LOCATIONS[index];
  return { id: index + 1, name, description, country, city, latitude, longitude, network_zone };
}

export function datacenterJson(locIndex: number) {
  const ids = SERVER_TYPES.map((_, i) => i + 1);
  const [name] = LOCATIONS[locIndex];
  return {
    id: locIndex + 1,
    name: `${name}-dc14`,
    description: `${name} DC 14`,
    location: locationJson(locIndex),
    server_types: { supported: ids, available: ids, available_for_migration: ids },
  };
}

export function imageJson(index: number) {
  const [id, name, flavor, version, arch] = IMAGES[index];
  return {
    id,
    type: "system",
    status: "available",
    name,
    description: `${flavor === "ubuntu" ? "Ubuntu" : "Debian"} ${version}`,
    image_size: null,
    disk_size: 5,
    created: "2024-04-25T13:45:50+00:00",
    created_from: null,
    bound_to: null,
    os_flavor: flavor,
    os_version: version,
    rapid_deploy: true,
    protection: { delete: false },
    deprecated: null,
    deleted: null,
    labels: {},
    architecture: arch,
  };
}
