/**
 * The demo catalog `npm start` seeds: generated deterministically (a seeded PRNG, no downloads), so every
 * fresh start gets the same 240 products in 15 categories, with prices, stock and a few promotions.
 */

export interface DemoCategory {
  name: string;
  slug: string;
  parent?: string;
}

export interface DemoProduct {
  sku: string;
  name: string;
  description: string;
  categorySlug: string;
  weightGrams: number;
  images: string[];
  /** Minor units of EUR. */
  price: number;
  compareAt?: number;
  stock: number;
}

export interface DemoPromotion {
  code?: string;
  description: string;
  kind: 'PERCENT_OFF' | 'AMOUNT_OFF';
  value: number;
  currency?: string;
  minSubtotal?: number;
  categorySlugs?: string[];
}

interface Family {
  category: DemoCategory;
  nouns: string[];
  materials: string[];
  weight: [number, number];
  price: [number, number];
  blurb: string;
}

const C = (name: string, parent?: string): DemoCategory => ({ name, slug: name.toLowerCase().replace(/[^a-z0-9]+/g, '-'), ...(parent ? { parent } : {}) });

const FAMILIES: Family[] = [
  { category: C('Scarves', 'apparel'), nouns: ['Scarf', 'Shawl', 'Snood'], materials: ['Merino Wool', 'Cashmere', 'Lambswool', 'Cotton', 'Silk'], weight: [120, 320], price: [1900, 8900], blurb: 'A soft scarf that keeps the wind out' },
  { category: C('Sweaters', 'apparel'), nouns: ['Sweater', 'Cardigan', 'Hoodie'], materials: ['Merino Wool', 'Alpaca Wool', 'Organic Cotton', 'Fleece'], weight: [350, 800], price: [4900, 15900], blurb: 'A warm knit for cold mornings' },
  { category: C('Socks', 'apparel'), nouns: ['Socks', 'Hiking Socks', 'Sleep Socks'], materials: ['Wool', 'Bamboo', 'Cotton'], weight: [60, 150], price: [900, 2900], blurb: 'Comfortable socks that breathe' },
  { category: C('Kitchen'), nouns: ['Chef Knife', 'Cutting Board', 'Saucepan', 'Kettle'], materials: ['Steel', 'Oak', 'Cast Iron', 'Copper'], weight: [300, 2600], price: [1900, 18900], blurb: 'A kitchen tool built to last' },
  { category: C('Home'), nouns: ['Throw Blanket', 'Cushion', 'Candle', 'Vase'], materials: ['Wool', 'Linen', 'Ceramic', 'Soy Wax'], weight: [200, 1800], price: [1500, 9900], blurb: 'A calm piece for your living room' },
  { category: C('Outdoor'), nouns: ['Tent', 'Sleeping Bag', 'Backpack', 'Camping Stove'], materials: ['Ripstop Nylon', 'Down', 'Canvas', 'Titanium'], weight: [600, 4500], price: [3900, 39900], blurb: 'Gear for nights under the stars' },
  { category: C('Books'), nouns: ['Cookbook', 'Field Guide', 'Novel', 'Atlas'], materials: ['Hardcover', 'Paperback', 'Illustrated'], weight: [250, 1400], price: [1200, 4900], blurb: 'A book worth keeping on the shelf' },
  { category: C('Toys'), nouns: ['Building Blocks', 'Puzzle', 'Plush Bear', 'Kite'], materials: ['Beech Wood', 'Recycled Plastic', 'Cotton'], weight: [150, 1200], price: [900, 5900], blurb: 'A toy for curious hands' },
  { category: C('Electronics'), nouns: ['Headphones', 'Speaker', 'Desk Lamp', 'Charger'], materials: ['Aluminium', 'Walnut', 'Matte Black'], weight: [120, 1600], price: [1900, 29900], blurb: 'Electronics with a clean design' },
  { category: C('Beauty'), nouns: ['Face Cream', 'Soap Bar', 'Shampoo', 'Lip Balm'], materials: ['Lavender', 'Shea Butter', 'Rosemary', 'Oat'], weight: [50, 500], price: [500, 3900], blurb: 'Gentle care made with natural oils' },
  { category: C('Garden'), nouns: ['Watering Can', 'Pruning Shears', 'Planter', 'Seed Kit'], materials: ['Galvanised Steel', 'Terracotta', 'Bamboo'], weight: [200, 3000], price: [900, 7900], blurb: 'For a garden that grows with you' },
  { category: C('Sports'), nouns: ['Yoga Mat', 'Jump Rope', 'Water Bottle', 'Running Cap'], materials: ['Natural Rubber', 'Cork', 'Stainless Steel'], weight: [100, 2200], price: [900, 8900], blurb: 'Made to move with you' },
  { category: C('Stationery'), nouns: ['Notebook', 'Fountain Pen', 'Desk Planner', 'Pencil Set'], materials: ['Recycled Paper', 'Brass', 'Leather'], weight: [40, 600], price: [400, 6900], blurb: 'For writing things down properly' },
  { category: C('Pets'), nouns: ['Dog Collar', 'Cat Bed', 'Chew Toy', 'Leash'], materials: ['Leather', 'Wool Felt', 'Natural Rubber'], weight: [80, 1500], price: [900, 6900], blurb: 'Something your pet will love' },
];

const ADJECTIVES = ['Classic', 'Nordic', 'Everyday', 'Heritage', 'Alpine', 'Coastal', 'Urban', 'Studio', 'Field', 'Harbor', 'Meadow', 'Summit'];
const COLOURS = ['Charcoal', 'Oat', 'Forest', 'Ink', 'Rust', 'Sand', 'Slate', 'Berry'];

/** mulberry32: a tiny deterministic PRNG (the demo catalog and the demo order history). */
export function random(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const DEMO_CATEGORIES: DemoCategory[] = [C('Apparel'), ...FAMILIES.map((f) => f.category)];

export function demoProducts(): DemoProduct[] {
  const rand = random(20261123);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const between = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const products: DemoProduct[] = [];
  const names = new Set<string>();
  FAMILIES.forEach((family, f) => {
    const prefix = family.category.slug.slice(0, 4).toUpperCase();
    for (let i = 0; products.length < (f + 1) * 17 + 2; i++) {
      const material = pick(family.materials);
      const name = `${pick(ADJECTIVES)} ${material} ${pick(family.nouns)}${rand() < 0.4 ? ` (${pick(COLOURS)})` : ''}`;
      if (names.has(name)) continue;
      names.add(name);
      const price = Math.round(between(family.price[0], family.price[1]) / 100) * 100 - 10;
      const sku = `${prefix}-${String(products.length + 1).padStart(4, '0')}`;
      products.push({
        sku,
        name,
        description: `${family.blurb}. Made from ${material.toLowerCase()} in small batches and checked by hand.`,
        categorySlug: family.category.slug,
        weightGrams: between(family.weight[0], family.weight[1]),
        images: [`https://images.shopgraph.example/${sku.toLowerCase()}/1.jpg`],
        price,
        ...(rand() < 0.15 ? { compareAt: Math.round((price * 1.25) / 100) * 100 - 10 } : {}),
        // About one in twelve is sold out, so `inStock: false` shows up in listings.
        stock: rand() < 0.08 ? 0 : between(5, 250),
      });
    }
  });
  return products;
}

export const DEMO_PROMOTIONS: DemoPromotion[] = [
  { code: 'WELCOME10', description: '10% off your first order', kind: 'PERCENT_OFF', value: 10 },
  { code: 'SAVE5', description: '€5 off orders over €50', kind: 'AMOUNT_OFF', value: 500, currency: 'EUR', minSubtotal: 5000 },
  { description: 'Winter sale: 15% off scarves', kind: 'PERCENT_OFF', value: 15, categorySlugs: ['scarves'] },
];
