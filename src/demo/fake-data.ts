// The made-up people, companies, orders and amounts the demo's workflows carry, drawn from a run's seeded random
// numbers so that every demo of a seed holds the same data.
type Random = () => number;

const FIRST_NAMES = ['Ada', 'Grace', 'Linus', 'Margaret', 'Alan', 'Barbara', 'Dennis', 'Frances', 'Ken', 'Radia', 'Edsger', 'Hedy', 'Tim', 'Katherine', 'John', 'Sophie'];
const LAST_NAMES = ['Lovelace', 'Hopper', 'Torvalds', 'Hamilton', 'Turing', 'Liskov', 'Ritchie', 'Allen', 'Thompson', 'Perlman', 'Dijkstra', 'Lamarr', 'Berners-Lee', 'Johnson', 'Backus', 'Wilson'];
const COMPANIES = ['Acme GmbH', 'Globex Ltd', 'Initech', 'Umbrella Foods', 'Stark Logistics', 'Wayne Retail', 'Hooli', 'Vandelay Imports', 'Soylent Corp', 'Tyrell Systems'];
const PRODUCTS = [
  { sku: 'MUG-350-BLK', name: 'Enamel mug 350 ml, black', price: 14.9 },
  { sku: 'TEE-ORG-M', name: 'Organic T-shirt, M', price: 29 },
  { sku: 'BAG-CNV-NAT', name: 'Canvas tote bag', price: 19.5 },
  { sku: 'NB-A5-DOT', name: 'Notebook A5, dotted', price: 12.4 },
  { sku: 'BTL-750-STL', name: 'Steel bottle 750 ml', price: 34.9 },
  { sku: 'CAP-WOOL-GRY', name: 'Wool cap, grey', price: 24 },
];

export const pick = <T>(random: Random, list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
export const between = (random: Random, min: number, max: number): number => min + Math.floor(random() * (max - min + 1));
export const money = (amount: number): number => Math.round(amount * 100) / 100;

/** A lowercase id with a prefix, as payment and CRM APIs make them (cus_8fK2…). */
export function apiId(random: Random, prefix: string, length = 14): string {
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let id = '';
  for (let i = 0; i < length; i++) id += letters[Math.floor(random() * letters.length)];
  return `${prefix}_${id}`;
}

export interface Person {
  name: string;
  email: string;
  company: string;
}

/** A person; one in `badEmailEvery` has an address a form let through that is no address (a typo, a missing domain). */
export function person(random: Random, badEmailEvery = 0): Person {
  const first = pick(random, FIRST_NAMES);
  const last = pick(random, LAST_NAMES);
  const company = pick(random, COMPANIES);
  const domain = `${company.split(' ')[0]?.toLowerCase()}.example`;
  const local = `${first}.${last}`.toLowerCase().replace(/[^a-z.]/g, '');
  const bad = badEmailEvery > 0 && random() < 1 / badEmailEvery;
  const email = bad ? pick(random, [`${local}@${domain.replace('.example', '')}`, `${local}.${domain}`, `${local}@@${domain}`]) : `${local}@${domain}`;
  return { name: `${first} ${last}`, email, company };
}

export const isEmail = (text: string): boolean => /^[^@\s]+@[^@\s]+\.[a-z]{2,}$/.test(text);

/** A shop order: one to four lines, their total. */
export function order(random: Random) {
  const lines = Array.from({ length: between(random, 1, 4) }, () => {
    const product = pick(random, PRODUCTS);
    return { sku: product.sku, name: product.name, quantity: between(random, 1, 3), unitPrice: product.price };
  });
  return { lines, total: money(lines.reduce((sum, line) => sum + line.quantity * line.unitPrice, 0)) };
}

export const sku = (random: Random): string => pick(random, PRODUCTS).sku;

/** A time a call takes: around `median` ms, mostly a little less or more, now and then several times as long. */
export function responseTime(random: Random, median: number): number {
  const tail = random() < 0.05 ? 3 + random() * 5 : 1;
  return Math.max(1, Math.round(median * (0.6 + random() * 0.8) * tail));
}
