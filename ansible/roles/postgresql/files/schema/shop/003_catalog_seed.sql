-- shop, migration 003: the initial catalog (reference data, the same in every environment).
INSERT INTO product (sku, label, price_cents) VALUES
  ('MUG-01', 'Mug asd-lab', 1200),
  ('TSHIRT-M', 'T-shirt asd-lab, M', 2500),
  ('STICKER', 'Sticker pack', 400);
